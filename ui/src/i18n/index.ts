import { createI18n } from "vue-i18n";
import zhCN from "./zh-CN";
import en from "./en";

export type Messages = typeof zhCN;

export function makeI18n(locale: "zh-CN" | "en" = "zh-CN") {
  return createI18n<[Messages], "zh-CN" | "en">({
    legacy: false,
    locale,
    fallbackLocale: "zh-CN",
    messages: { "zh-CN": zhCN, en },
  });
}
