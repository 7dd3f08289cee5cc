import { createRouter, createWebHistory, type RouteLocationNormalized, type RouterHistory } from "vue-router";
import { onUnauthorized } from "./api";
import { account, forgetSession, restoreSession } from "./session";

declare module "vue-router" {
  interface RouteMeta {
    /** Open without a session (the sign-in page). */
    public?: boolean;
    /** Open to anyone, signed in or not (the published penalty results). */
    open?: boolean;
  }
}

/** Where to go after signing in: the page asked for, if it is one of ours, else the dashboard. */
export function afterSignIn(route: RouteLocationNormalized): string {
  const next = route.query.next;
  return typeof next === "string" && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/sign-in")
    ? next
    : "/";
}

export function makeRouter(history: RouterHistory = createWebHistory(import.meta.env.BASE_URL)) {
  const router = createRouter({
    history,
    routes: [
      { path: "/sign-in", name: "sign-in", component: () => import("./views/SignIn.vue"), meta: { public: true } },
      {
        path: "/activate",
        name: "activate",
        component: () => import("./views/ActivatePage.vue"),
        meta: { open: true },
      },
      {
        path: "/disclosures",
        name: "disclosures",
        component: () => import("./views/DisclosuresPage.vue"),
        meta: { open: true },
      },
      {
        path: "/",
        component: () => import("./views/ConsoleLayout.vue"),
        children: [
          { path: "", name: "dashboard", component: () => import("./views/DashboardPage.vue") },
          { path: "cases", name: "cases", component: () => import("./views/CasesPage.vue") },
          { path: "cases/:id", name: "case", component: () => import("./views/CaseFilePage.vue") },
          { path: "logs", name: "logs", component: () => import("./views/LogsPage.vue") },
          { path: "devices", name: "devices", component: () => import("./views/DevicesPage.vue") },
          { path: "people", name: "people", component: () => import("./views/PeoplePage.vue") },
          { path: "draws", name: "draws", component: () => import("./views/DrawsPage.vue") },
          { path: "accounts", name: "accounts", component: () => import("./views/AccountsPage.vue") },
          {
            path: "bureau-files",
            name: "bureau-files",
            component: () => import("./views/BureauFilesPage.vue"),
          },
        ],
      },
      { path: "/:rest(.*)*", redirect: "/" },
    ],
  });

  router.beforeEach(async (to) => {
    if (to.meta.open) return true;
    await restoreSession();
    if (to.meta.public) return account.value ? afterSignIn(to) : true;
    if (!account.value) return { name: "sign-in", query: to.fullPath === "/" ? {} : { next: to.fullPath } };
    return true;
  });

  // The session ended (expired, signed out elsewhere, station restarted): back to the sign-in page.
  onUnauthorized(() => {
    forgetSession();
    const here = router.currentRoute.value;
    if (here.name !== "sign-in" && !here.meta.open) {
      void router.push({ name: "sign-in", query: here.fullPath === "/" ? {} : { next: here.fullPath } });
    }
  });

  return router;
}
