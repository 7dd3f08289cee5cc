// Who is signed in, for the router's guard and the header.
import { ref } from "vue";
import { api, type Account } from "./api";

export const account = ref<Account | null>(null);

let restoring: Promise<void> | null = null;

/** Asks the station once per page load whether a session is still open (after a reload). */
export function restoreSession(): Promise<void> {
  restoring ??= api.session().then(
    (a) => {
      // A sign-in that finished meanwhile wins.
      account.value ??= a;
    },
    () => {
      // Station unreachable: the sign-in page says so when the person tries.
    },
  );
  return restoring;
}

/** Forgets the session here (tests, and after signing out or a 401). */
export function forgetSession() {
  account.value = null;
}

/** For tests: start as a fresh page load. */
export function resetSession() {
  account.value = null;
  restoring = null;
}
