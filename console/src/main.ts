import { createApp } from "vue";
import "./elementStyles";
import "./styles.css";
import App from "./App.vue";
import { i18n } from "./i18n";
import { makeRouter } from "./router";

// Element Plus components are imported by each view (only those used end up in the build);
// their styles are in elementStyles.ts.
createApp(App).use(i18n).use(makeRouter()).mount("#app");
