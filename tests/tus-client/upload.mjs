// Uploads one file to Amparo with tus-js-client, the reference JavaScript tus client, and prints
// what happened as JSON on stdout: the upload URL and every Amparo-Receipt header received.
//
// usage: node upload.mjs <endpoint> <token> <encounter id> <file> <chunk size> <known|deferred>
import fs from 'node:fs';
import { Upload } from 'tus-js-client';

const [endpoint, token, encounterId, file, chunkSize, mode] = process.argv.slice(2);
const receipts = [];
let retries = 0;

// Known length: read as a stream, as a file on disk would be. Deferred: from memory, as a live
// recording's queue is (tus-js-client 4.3's stream source declares a full chunk's Content-Length
// for a short last read when the length is deferred, and the request then never completes).
const input = mode === 'known' ? fs.createReadStream(file) : fs.readFileSync(file);
const upload = new Upload(input, {
  endpoint,
  chunkSize: Number(chunkSize),
  uploadSize: mode === 'known' ? fs.statSync(file).size : undefined,
  uploadLengthDeferred: mode === 'deferred',
  // After a cut the client asks the server for its offset (HEAD) and resends from there.
  retryDelays: [0, 100, 250, 500, 1000, 2000],
  headers: { Authorization: `Bearer ${token}` },
  metadata: { encounter_id: encounterId, filetype: 'video/webm' },
  storeFingerprintForResuming: false,
  onAfterResponse(req, res) {
    const receipt = res.getHeader('Amparo-Receipt');
    if (receipt) receipts.push(receipt);
  },
  onShouldRetry(err, attempt, options) {
    retries += 1;
    return true;
  },
  onError(error) {
    console.error(`upload failed: ${error}`);
    process.exit(1);
  },
  onSuccess() {
    process.stdout.write(JSON.stringify({ url: upload.url, receipts, retries }) + '\n');
  },
});
upload.start();
