//! `report.html`: the bundle's facts as a page a court can read and print. Self-contained (inline
//! CSS, no scripts, no external resources, and a Content-Security-Policy that forbids them should
//! escaping ever fail), with every string from the manifest escaped.

use crate::time::{duration_us, rfc3339_us};
use amparo_core::checkpoint::SignedCheckpoint;
use amparo_core::manifest::{CustodyEntry, EncounterFacts, Manifest, NoteEntry, Proofs, RecordingEntry};

const STYLE: &str = "body{font:16px/1.5 Georgia,serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}\
h1,h2,h3{font-family:Helvetica,Arial,sans-serif}h2{border-bottom:1px solid #999;margin-top:2rem}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #bbb;padding:.3rem .5rem;\
text-align:left;vertical-align:top}th{background:#f2f2f2;width:14rem}code,pre{font:13px/1.4 monospace;\
word-break:break-all}pre{white-space:pre-wrap;background:#f7f7f7;padding:.5rem;border:1px solid #ddd}\
.note{white-space:pre-wrap}.warn{color:#8a1c00}";

/// Renders the page. `manifest` is complete except for its `files` list.
pub(crate) fn render(
    manifest: &Manifest,
    checkpoint: &SignedCheckpoint,
    proofs: &Proofs,
    custody: &[CustodyEntry],
    notes: &[NoteEntry],
) -> String {
    let mut page = String::with_capacity(16 << 10);
    page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    page += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";
    page += &format!(
        "<title>Evidence bundle: encounter {}</title>\n",
        esc(&manifest.encounter.id)
    );
    page += &format!("<style>{STYLE}</style>\n</head>\n<body>\n<h1>Evidence bundle</h1>\n");
    page += &format!(
        "<p>Exported {} by account <code>{}</code>. This page is a readable summary of the bundle's \
         <code>manifest.json</code>; the files in the bundle, not this page, are the evidence.</p>\n",
        esc(&manifest.exported_at),
        esc(&manifest.exported_by)
    );
    page += &encounter(&manifest.encounter);
    page += &format!("<h2>Recordings ({})</h2>\n", manifest.recordings.len());
    for recording in &manifest.recordings {
        page += &self::recording(recording);
    }
    page += &log(manifest, checkpoint, proofs);
    page += &attorney_notes(notes);
    page += &custody_log(custody);
    page += HOW_TO_VERIFY;
    page += "</body>\n</html>\n";
    page
}

fn encounter(facts: &EncounterFacts) -> String {
    let location = facts.location.map(|l| {
        let accuracy = l.accuracy_m.map(|a| format!(" (within {a:.0} m)")).unwrap_or_default();
        format!("{:.6}, {:.6}{accuracy}", l.latitude, l.longitude)
    });
    let rows = [
        ("Encounter id", Some(code(&facts.id))),
        ("Account", Some(code(&facts.owner))),
        ("Started", Some(esc(&facts.started_at))),
        (
            "Ended",
            Some(facts.ended_at.as_deref().map_or("not ended".to_owned(), esc)),
        ),
        ("Location", location),
        ("State", facts.us_state.as_deref().map(esc)),
        ("Language", facts.language.as_deref().map(esc)),
        (
            "Asked for an attorney",
            Some(if facts.wants_attorney { "yes" } else { "no" }.to_owned()),
        ),
    ];
    let mut html = "<h2>The encounter</h2>\n".to_owned() + &table(&rows);
    if let Some(note) = &facts.note {
        html += &format!("<h3>Note</h3>\n<p class=\"note\">{}</p>\n", esc(note));
    }
    html
}

fn recording(recording: &RecordingEntry) -> String {
    let first = recording.chunks.first().map(|c| c.received_at_us);
    let last = recording.chunks.last().map(|c| c.received_at_us);
    let span = first
        .zip(last)
        .map(|(first, last)| duration_us(last.saturating_sub(first)));
    let complete = if recording.complete {
        "yes".to_owned()
    } else {
        "<span class=\"warn\">no: the upload stopped before the recording was ended</span>".to_owned()
    };
    let rows = [
        ("Media file", Some(code(&recording.file))),
        ("Media type", recording.media_type.as_deref().map(esc)),
        ("Size", Some(format!("{} bytes", thousands(recording.length)))),
        ("Chunks", Some(recording.chunks.len().to_string())),
        ("First chunk received", first.map(rfc3339_us)),
        ("Last chunk received", last.map(rfc3339_us)),
        ("Time between them", span),
        ("Complete", Some(complete)),
        ("SHA-256 of the file", Some(code(&recording.sha256))),
    ];
    format!(
        "<h3>Recording <code>{}</code></h3>\n{}",
        esc(&recording.id),
        table(&rows)
    )
}

fn log(manifest: &Manifest, checkpoint: &SignedCheckpoint, proofs: &Proofs) -> String {
    let rows = [
        ("Log", Some(code(&manifest.log.origin))),
        ("Log key", Some(code(&manifest.log.verifier_key))),
        ("Entries in the log", Some(checkpoint.size.to_string())),
        ("Root hash", Some(code(&hex::encode(checkpoint.root.0)))),
    ];
    let mut html = "<h2>Transparency log</h2>\n<p>Each chunk was entered in a public, append-only log as it \
                    arrived. The log's signed checkpoint below commits to every entry; the bundle carries a \
                    proof that each chunk's entry is in it.</p>\n"
        .to_owned()
        + &table(&rows)
        + &format!("<h3>Signed checkpoint</h3>\n<pre>{}</pre>\n", esc(&checkpoint.note));
    if let Some(sealing) = &proofs.sealing {
        html += &format!(
            "<h3>Checkpoint that first sealed the encounter</h3>\n<pre>{}</pre>\n<p>The bundle proves that the \
             log above extends this earlier checkpoint: nothing was removed from the log in between.</p>\n",
            esc(&sealing.checkpoint)
        );
    }
    html
}

fn attorney_notes(notes: &[NoteEntry]) -> String {
    if notes.is_empty() {
        return String::new();
    }
    let mut html = format!("<h2>Attorney notes ({})</h2>\n", notes.len());
    for note in notes {
        html += &format!(
            "<h3>{} by <code>{}</code></h3>\n<p class=\"note\">{}</p>\n",
            esc(&note.at),
            esc(&note.author),
            esc(&note.text)
        );
    }
    html
}

fn custody_log(custody: &[CustodyEntry]) -> String {
    let mut html = format!(
        "<h2>Chain of custody</h2>\n<p>Every access to this evidence on the server ({} entries).</p>\n",
        custody.len()
    );
    if custody.is_empty() {
        return html;
    }
    html += "<table>\n<tr><th>When</th><th>Account</th><th>Role</th><th>Action</th></tr>\n";
    for entry in custody {
        html += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&entry.at),
            code(&entry.account),
            esc(&entry.role),
            esc(&entry.action)
        );
    }
    html + "</table>\n"
}

const HOW_TO_VERIFY: &str = "<h2>How to check this bundle</h2>\n<p>Anyone can check this bundle offline, \
without trusting the organization that ran the server. Run the open-source Amparo verifier on the bundle \
file: <code>amparo verify bundle.zip</code>. It checks that every file is exactly as exported; that each \
recording's bytes match the SHA-256 fingerprints the server recorded as each chunk arrived; that no chunk \
was removed, repeated or reordered; and that every chunk is in the transparency log whose checkpoint is \
signed by the log key above. Compare that key with the one the organization publishes at its \
<code>/log/key</code> address. Running <code>sha256sum</code> on a media file prints the SHA-256 listed \
for it above. The format is documented byte by byte in <code>docs/evidence-format.md</code>, so that \
anyone can write their own verifier.</p>\n";

/// A two-column table; rows without a value are left out.
fn table(rows: &[(&str, Option<String>)]) -> String {
    let mut html = "<table>\n".to_owned();
    for (label, value) in rows {
        if let Some(value) = value {
            html += &format!("<tr><th>{label}</th><td>{value}</td></tr>\n");
        }
    }
    html + "</table>\n"
}

fn code(text: &str) -> String {
    format!("<code>{}</code>", esc(text))
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&#39;",
            c => out.push(c),
        }
    }
    out
}

/// `7864320` → `7,864,320`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }

    #[test]
    fn groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(7_864_320), "7,864,320");
    }
}
