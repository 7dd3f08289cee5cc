import { createApp } from "vue";
import {
  Button, DropdownItem, DropdownMenu, Empty, List, Loading, NavBar, Progress, PullRefresh, Search, Tabbar,
  TabbarItem, Tag,
} from "vant";
import "vant/lib/index.css";
import "./styles.css";
import App from "./App.vue";
import { makeI18n } from "./i18n";

// Chinese first; English only when the user has chosen it.
const locale = localStorage.getItem("quancheng.locale") === "en" ? "en" : "zh-CN";

createApp(App)
  .use(makeI18n(locale))
  .use(Button).use(DropdownItem).use(DropdownMenu).use(Empty).use(List).use(Loading).use(NavBar)
  .use(Progress).use(PullRefresh).use(Search).use(Tabbar).use(TabbarItem).use(Tag)
  .mount("#app");
