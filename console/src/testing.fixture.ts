// Helpers for the unit tests: a fake station behind a mocked global fetch.
import { vi } from "vitest";
import type { Account, CaseRow, Dashboard } from "./api";

export const zhang: Account = {
  login: "zhang.wei",
  name: "张伟",
  role: "squad_leader",
  role_label: "中队长",
  squads: ["一中队"],
};

/** A dashboard answer with something in every section. */
export const dashboardAnswer: Dashboard = {
  period: { from: null, to: null },
  total: 18,
  by_status: [
    { key: "filed", label: "立案", count: 12 },
    { key: "decided", label: "<b>决定</b>", count: 6 },
  ],
  by_domain: [{ key: "city_appearance", label: "市容环境", count: 18 }],
  by_squad: [
    { key: "一中队", label: "一中队", count: 10 },
    { key: "二中队", label: "二中队", count: 8 },
  ],
  by_grid: [{ key: "G-01", label: "泉城路网格", count: 18 }],
  deadlines_by_squad: [
    { key: "一中队", label: "一中队", overdue: 3, due_soon: 1 },
    { key: "二中队", label: "二中队", overdue: 0, due_soon: 2 },
  ],
  deadlines_by_officer: [{ key: "37010001", label: "37010001", overdue: 1, due_soon: 0 }],
  ratio721: [
    { squad: "一中队", service: 7, management: 2, enforcement: 1 },
    { squad: "二中队", service: 1, management: 1, enforcement: 1 },
    { squad: "三中队", service: 0, management: 0, enforcement: 0 },
  ],
  scope: "全部案件",
  sync_health: {
    stale_after_days: 3,
    devices: 4,
    stale: [
      {
        id: "pad-0007",
        label: "<b>二中队 7 号平板</b>",
        squad: "二中队",
        revoked: false,
        revoked_at: null,
        reason: null,
        keys: 2,
        last_seen: null,
      },
    ],
    pending: [
      {
        device: "pad-0001",
        label: "一中队 1 号平板",
        squad: "一中队",
        files: 3,
        cases: 2,
        oldest: Date.UTC(2026, 10, 28, 1, 2, 3),
      },
    ],
  },
};

export const caseRow = (over: Partial<CaseRow> = {}): CaseRow => ({
  id: "QC-2026-0001",
  squad: "一中队",
  status: "filed",
  status_label: "立案",
  domain: "city_appearance",
  domain_name: "市容环境",
  violation_name: "占道经营",
  address: "历下区泉城路 1 号",
  parties: "王某",
  summary: "流动摊贩占用人行道经营",
  grid: "泉城路网格",
  registered_at: Date.UTC(2026, 10, 3, 1, 2, 3),
  updated_at: Date.UTC(2026, 10, 4, 1, 2, 3),
  overdue: 0,
  ...over,
});

export const answer = (status: number, body?: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: body === undefined ? {} : { "content-type": "application/json" },
  });

/** One call as the station saw it. */
export interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

/** Stubs fetch with `route` (method + path → answer) and records every call. */
export function fakeStation(route: (method: string, url: string, body: unknown) => Response | Promise<Response>) {
  const seen: Seen[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? "GET";
    const body = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
    seen.push({
      method,
      url,
      headers: { ...(init.headers as Record<string, string>) },
      body,
      credentials: init.credentials,
    });
    return route(method, url, body);
  });
  vi.stubGlobal("fetch", fetch);
  return seen;
}

/** A route change imports the next page lazily: slow on a loaded two-core machine. */
export const ROUTED = { timeout: 10_000 };
