// Uploads one file to Amparo with tus-js-client, the reference JavaScript tus client, and prints
// what happened as JSON on stdout: the upload URL and every Amparo-Receipt header received.
//
// usage: node upload.mjs <endpoint> <token> <encounter id> <file> <chunk size> <known|deferred>
import fs from 'node:fs';
import { Upload } from 'tus-js-client';

const [endpoint, token, encounterId, file, chunkSize, mode] = process.argv.slice(2);
const receipts = [];
let retries = 0;

const upload = new Upload(fs.createReadStream(file), {
  endpoint,
  chunkSize: Number(chunkSize),
  uploadSize: mode === 'known' ? fs.statSync(file).size : undefined,
  uploadLengthDeferred: mode === 'deferred',
  // Reading a stream cannot rewind past the current chunk; the client keeps the chunk in memory
  // and resends it after a cut, which is what a phone's queue does too.
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
