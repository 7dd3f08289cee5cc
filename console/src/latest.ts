import { ref, type Ref } from "vue";
import { ApiError } from "./api";

/**
 * What the station answered to the latest `fetch`: an answer to an earlier one that arrives
 * after a later one was asked is dropped, so a page never shows stale data over fresh. The
 * error, in Chinese, replaces the data.
 */
export function useLatest<T>(fetch: () => Promise<T>) {
  const data = ref<T | null>(null) as Ref<T | null>;
  const loading = ref(false);
  const error = ref("");
  let asked = 0;

  async function load() {
    const mine = ++asked;
    loading.value = true;
    error.value = "";
    try {
      const got = await fetch();
      if (mine === asked) data.value = got;
    } catch (e) {
      if (mine === asked) {
        data.value = null;
        error.value = e instanceof ApiError ? e.message : String(e);
      }
    } finally {
      if (mine === asked) loading.value = false;
    }
  }

  return { data, loading, error, load };
}
