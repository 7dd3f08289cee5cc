import { ref } from "vue";
import { ApiError } from "./api";

/**
 * A signed act's confirmation: the password typed again, the error to show beside it, and
 * whether the act is under way. `sign` runs the act with the password (never twice at once),
 * shows its failure in Chinese, and forgets the password either way.
 */
export function useSigning(missing: () => string) {
  const password = ref("");
  const error = ref("");
  const busy = ref(false);

  function reset() {
    password.value = "";
    error.value = "";
  }

  async function sign(act: (password: string) => Promise<void>) {
    if (busy.value) return;
    if (!password.value) {
      error.value = missing();
      return;
    }
    busy.value = true;
    error.value = "";
    try {
      await act(password.value);
    } catch (e) {
      error.value = e instanceof ApiError ? e.message : String(e);
    } finally {
      password.value = "";
      busy.value = false;
    }
  }

  return { password, error, busy, reset, sign };
}
