import { createI18n } from "vue-i18n";
import zhCN from "./zh-CN";
import en from "./en";

export type Messages = typeof zhCN;
export type Locale = "zh-CN" | "en";

export function makeI18n(locale: Locale = "zh-CN") {
  return createI18n<[Messages], Locale>({
    legacy: false,
    locale,
    fallbackLocale: "zh-CN",
    // `en` is partial on purpose: what it lacks is shown in Chinese, without console noise.
    missingWarn: false,
    fallbackWarn: false,
    messages: { "zh-CN": zhCN, en: en as Messages },
  });
}

/** Chinese first; English only when chosen on this browser. */
export const i18n = makeI18n(localStorage.getItem("qc-console-locale") === "en" ? "en" : "zh-CN");
