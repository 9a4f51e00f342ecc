// The person's choices, kept on this device only (never sent anywhere but where they apply).

const KEY = "amparo.settings";
const DEFAULTS = {
  language: null, // null: follow the browser
  facingMode: "environment", // the back camera films the officer; the front one films the person
  format: "webm",
  situation: "street",
  usState: "",
  shareLocation: false,
  askAttorney: true, // the button also asks for an attorney, when the plan has an attorney line
  attorneyLine: false, // whether it had one when last asked (GET /api/v1/coverage), for offline starts
  callsRelayOnly: false, // calls go through the server's relay: the other side never sees this address
};

function load() {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(KEY) ?? "{}") };
  } catch {
    return { ...DEFAULTS };
  }
}

export const settings = load();

/** Changes one setting and keeps it for the next visit. */
export function saveSetting(name, value) {
  settings[name] = value;
  localStorage.setItem(KEY, JSON.stringify(settings));
}
