// What the window knows of recordings across its panels: bumped when one is left on the
// tablet unkept (a stop whose keeping failed), so the list of those left reads again.
import { ref } from "vue";

/** Changes whenever a recording may have been left on the tablet. */
export const recordingsLeftChanged = ref(0);
