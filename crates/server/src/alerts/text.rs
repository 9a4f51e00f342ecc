//! The words of an alert: a short subject and a few plain sentences, in the recipient's language.
//! Written to be read in a hurry, on a lock screen or an SMS: who, what, when, where, and a link.

use super::{Alert, AlertKind, Language, Place};
use time::OffsetDateTime;

/// An alert as a person reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub body: String,
}

pub fn render(alert: &Alert, language: Language) -> Message {
    let who = one_line(&alert.who);
    let at = clock(alert.when);
    let near = alert.place.as_ref().map(|place| near(place, language));
    let near = near.as_deref().unwrap_or("");
    let (subject, first) = match (language, alert.kind) {
        (Language::En, AlertKind::EncounterStarted) => (
            format!("{who} is recording an encounter"),
            format!("{who} started recording an encounter at {at}{near}."),
        ),
        (Language::Es, AlertKind::EncounterStarted) => (
            format!("{who} está grabando un encuentro"),
            format!("{who} empezó a grabar un encuentro a las {at}{near}."),
        ),
        (Language::En, AlertKind::EncounterEnded) => (
            format!("{who}'s encounter has ended"),
            format!("{who} ended the encounter at {at}{near}."),
        ),
        (Language::Es, AlertKind::EncounterEnded) => (
            format!("Terminó el encuentro de {who}"),
            format!("{who} terminó el encuentro a las {at}{near}."),
        ),
        (Language::En, AlertKind::AttorneyJoined) => (
            format!("An attorney is with {who}"),
            format!("An attorney joined {who}'s encounter at {at}{near}."),
        ),
        (Language::Es, AlertKind::AttorneyJoined) => (
            format!("Un abogado está con {who}"),
            format!("Un abogado se unió al encuentro de {who} a las {at}{near}."),
        ),
        (Language::En, AlertKind::RecordingStopped { silent_secs }) => (
            format!("{who}'s recording stopped: the phone may have been taken"),
            format!(
                "{who}'s recording stopped at {at}{near} without being ended: nothing received for \
                 {silent_secs} seconds. The phone may have been taken."
            ),
        ),
        (Language::Es, AlertKind::RecordingStopped { silent_secs }) => (
            format!("La grabación de {who} se detuvo: puede que le hayan quitado el teléfono"),
            format!(
                "La grabación de {who} se detuvo a las {at}{near} sin que la terminara: nada \
                 recibido en {silent_secs} segundos. Puede que le hayan quitado el teléfono."
            ),
        ),
        (Language::En, AlertKind::Detained) => (
            format!("{who} says they are being detained"),
            format!("{who} pressed \"I'm being detained\" at {at}{near}."),
        ),
        (Language::Es, AlertKind::Detained) => (
            format!("{who} indicó que está bajo detención"),
            format!("{who} presionó «Me están deteniendo» a las {at}{near}."),
        ),
    };
    let mut body = first;
    // Whether a lawyer is there decides what family does next, so say it either way; once the
    // encounter is over, or in the alert that an attorney joined, it would only be noise.
    if matches!(
        alert.kind,
        AlertKind::EncounterStarted | AlertKind::RecordingStopped { .. } | AlertKind::Detained
    ) {
        body.push(' ');
        body.push_str(match (language, alert.attorney_on_line) {
            (Language::En, true) => "An attorney is on the line.",
            (Language::En, false) => "No attorney is on the line yet.",
            (Language::Es, true) => "Hay un abogado en la línea.",
            (Language::Es, false) => "Todavía no hay un abogado en la línea.",
        });
    }
    if let Some(message) = &alert.message {
        let heading = match language {
            Language::En => format!("{who}'s message for you:"),
            Language::Es => format!("Mensaje de {who} para usted:"),
        };
        body.push_str(&format!("\n\n{heading}\n{}\n", paragraphs(message)));
    }
    let follow = match language {
        Language::En => "Follow",
        Language::Es => "Seguir",
    };
    body.push_str(&format!("\n{follow}: {}\n", one_line(&alert.follow_url)));
    Message { subject, body }
}

/// "14:02 UTC", or "14:02 UTC-05:00" in the offset the time was given in (the member's own).
fn clock(when: OffsetDateTime) -> String {
    let offset = when.offset();
    let zone = if offset.is_utc() {
        "UTC".to_owned()
    } else {
        let (hours, minutes, _) = offset.as_hms();
        let sign = if offset.is_negative() { '-' } else { '+' };
        format!("UTC{sign}{:02}:{:02}", hours.unsigned_abs(), minutes.unsigned_abs())
    };
    format!("{:02}:{:02} {zone}", when.hour(), when.minute())
}

fn near(place: &Place, language: Language) -> String {
    let word = match language {
        Language::En => "near",
        Language::Es => "cerca de",
    };
    match place {
        // Five decimals is about a metre: never more precise than the phone could be.
        Place::Point { lat, lon, accuracy_m } => {
            let within = match (accuracy_m, language) {
                (Some(m), Language::En) => format!(" (within {m:.0} m)"),
                (Some(m), Language::Es) => format!(" (a menos de {m:.0} m)"),
                (None, _) => String::new(),
            };
            format!(" {word} {lat:.5}, {lon:.5}{within}")
        }
        Place::Text { text } => format!(" {word} {}", one_line(text)),
    }
}

/// Text from people, made safe for a subject line or an SMS: no line breaks or control
/// characters, which could forge mail headers or split a message.
pub(crate) fn one_line(text: &str) -> String {
    let cleaned: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A person's own multi-line text (a prepared message): line breaks kept, at most one blank line
/// in a row, every other control character gone.
fn paragraphs(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(one_line).collect();
    let mut out: Vec<&str> = Vec::new();
    for line in &lines {
        if line.is_empty() && out.last().is_none_or(|last| last.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|last| last.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn alert(kind: AlertKind) -> Alert {
        Alert {
            kind,
            who: "Ana".to_owned(),
            when: datetime!(2025-03-01 14:02:30 -05:00),
            place: Some(Place::Point {
                lat: 41.857_12,
                lon: -87.656_3,
                accuracy_m: Some(30.0),
            }),
            attorney_on_line: false,
            follow_url: "https://amparo.example/follow/abc".to_owned(),
            message: None,
        }
    }

    #[test]
    fn started_in_english() {
        let m = render(&alert(AlertKind::EncounterStarted), Language::En);
        assert_eq!(m.subject, "Ana is recording an encounter");
        assert_eq!(
            m.body,
            "Ana started recording an encounter at 14:02 UTC-05:00 near 41.85712, -87.65630 \
             (within 30 m). No attorney is on the line yet.\nFollow: https://amparo.example/follow/abc\n"
        );
    }

    #[test]
    fn started_in_spanish_with_an_attorney_and_a_coarse_place() {
        let mut a = alert(AlertKind::EncounterStarted);
        a.attorney_on_line = true;
        a.place = Some(Place::Text {
            text: "Pilsen, Chicago".to_owned(),
        });
        a.when = datetime!(2025-03-01 19:02 UTC);
        let m = render(&a, Language::Es);
        assert_eq!(m.subject, "Ana está grabando un encuentro");
        assert_eq!(
            m.body,
            "Ana empezó a grabar un encuentro a las 19:02 UTC cerca de Pilsen, Chicago. \
             Hay un abogado en la línea.\nSeguir: https://amparo.example/follow/abc\n"
        );
    }

    #[test]
    fn every_kind_in_every_language_names_the_person_and_the_link() {
        let kinds = [
            AlertKind::EncounterStarted,
            AlertKind::EncounterEnded,
            AlertKind::AttorneyJoined,
            AlertKind::RecordingStopped { silent_secs: 20 },
            AlertKind::Detained,
        ];
        for kind in kinds {
            for language in [Language::En, Language::Es] {
                let mut a = alert(kind);
                a.place = None;
                let m = render(&a, language);
                assert!(m.subject.contains("Ana") && m.body.contains("Ana"), "{m:?}");
                assert!(m.body.contains("https://amparo.example/follow/abc"), "{m:?}");
                assert!(!m.body.contains("near") && !m.body.contains("cerca"), "{m:?}");
                assert!(m.subject.chars().count() < 80, "{m:?}");
            }
        }
        let stopped = render(&alert(AlertKind::RecordingStopped { silent_secs: 20 }), Language::En);
        assert!(stopped.body.contains("20 seconds. The phone may have been taken."));
        let stopped = render(&alert(AlertKind::RecordingStopped { silent_secs: 20 }), Language::Es);
        assert!(stopped.body.contains("Puede que le hayan quitado el teléfono."));
    }

    #[test]
    fn a_prepared_message_keeps_its_lines_and_nothing_else() {
        let mut a = alert(AlertKind::Detained);
        a.place = None;
        a.message = Some(
            "I have been detained.\r\n\r\n\r\nCall Ana at 312 555 0100.\u{7}\nThe kids are with Rosa.\n\n".to_owned(),
        );
        let m = render(&a, Language::En);
        assert_eq!(m.subject, "Ana says they are being detained");
        assert_eq!(
            m.body,
            "Ana pressed \"I'm being detained\" at 14:02 UTC-05:00. No attorney is on the line yet.\n\n\
             Ana's message for you:\nI have been detained.\n\nCall Ana at 312 555 0100.\n\
             The kids are with Rosa.\n\nFollow: https://amparo.example/follow/abc\n"
        );
        let m = render(&a, Language::Es);
        assert!(
            m.body.contains("Mensaje de Ana para usted:\nI have been detained."),
            "{m:?}"
        );
    }

    #[test]
    fn names_cannot_break_lines() {
        let mut a = alert(AlertKind::EncounterEnded);
        a.who = "Ana\r\nBcc: someone@example.org".to_owned();
        let m = render(&a, Language::En);
        assert!(!m.subject.contains(['\r', '\n']), "{m:?}");
        assert_eq!(m.body.lines().count(), 2, "{m:?}");
    }
}
