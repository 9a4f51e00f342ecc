//! Identifiers. Each is a UUID behind its own type so that an encounter id can never be passed
//! where a recording id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh id. Version 7 UUIDs sort by creation time, which keeps indexes compact.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The 16 bytes written into log leaves.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::from_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A person's account with the service.
    AccountId
);
uuid_id!(
    /// One encounter: a stop, from the button press to its end.
    EncounterId
);
uuid_id!(
    /// One recording within an encounter; also the id of its tus upload.
    RecordingId
);
uuid_id!(
    /// One of a member's emergency contacts.
    ContactId
);
uuid_id!(
    /// An organization: the legal-aid group, employer or union whose seats cover people and whose
    /// attorneys answer them.
    OrgId
);
uuid_id!(
    /// A note an attorney wrote during or after a call, kept with the encounter's evidence.
    NoteId
);
uuid_id!(
    /// A member's report of what they saw (issue 6): unverified until a responder decides.
    ReportId
);
uuid_id!(
    /// A verified incident: what alerts subscribers, made from one or more reports.
    IncidentId
);
uuid_id!(
    /// One of a subscriber's watch areas.
    WatchAreaId
);
uuid_id!(
    /// A vehicle in the registry of vehicles seen at verified incidents.
    VehicleId
);
uuid_id!(
    /// A responder's question to a reporter.
    QuestionId
);
uuid_id!(
    /// A photo attached to a report, stored re-encoded (its metadata gone).
    PhotoId
);
