// One way for a panel to run an act: busy while it runs, its Chinese error kept, the panel
// reloaded and its parent told once it is done.
import { ref } from "vue";
import { ApiError } from "./api";

export function useAction(load: () => Promise<unknown>, changed: () => void) {
  const busy = ref(false);
  const error = ref<string | null>(null);

  async function run(f: () => Promise<unknown>) {
    busy.value = true;
    error.value = null;
    try {
      await f();
      await load();
      changed();
    } catch (e) {
      error.value = message(e);
    } finally {
      busy.value = false;
    }
  }

  return { busy, error, run };
}

/** What went wrong, in the words the app gives it. */
export function message(e: unknown): string {
  return ApiError.from(e).message;
}
