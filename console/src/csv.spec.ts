import { describe, expect, it } from "vitest";
import { BOM, csvField, dashboardCsv, toCsv } from "./csv";
import { makeI18n } from "./i18n";
import { formatTime, percentages, ratioText } from "./format";
import { dashboardAnswer } from "./testing.fixture";

const t = (k: string) => makeI18n().global.t(k);

describe("csv", () => {
  it("quotes fields with quotes, commas or line breaks, doubling the quotes", () => {
    expect(csvField("一中队")).toBe("一中队");
    expect(csvField(12)).toBe("12");
    expect(csvField(0)).toBe("0");
    expect(csvField("甲,乙")).toBe('"甲,乙"');
    expect(csvField('所谓"网格"')).toBe('"所谓""网格"""');
    expect(csvField("第一行\n第二行")).toBe('"第一行\n第二行"');
    expect(csvField("回车\r")).toBe('"回车\r"');
    expect(csvField("")).toBe("");
    // What a spreadsheet would run is kept as text.
    expect(csvField("=HYPERLINK(\"x\")")).toBe("\"'=HYPERLINK(\"\"x\"\")\"");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField(-3)).toBe("-3");
  });

  it("puts the BOM first, then each section with a title and a header, CRLF line ends", () => {
    const text = toCsv(
      [
        { title: "按状态", header: ["案件状态", "件数"], rows: [["立案", 3], ['"待审",核', 1]] },
        { title: "按网格", header: ["网格", "件数"], rows: [] },
      ],
      [["范围", "全部案件"]],
    );
    expect(text).toBe(
      BOM + '范围,全部案件\r\n\r\n按状态\r\n案件状态,件数\r\n立案,3\r\n"""待审"",核",1\r\n\r\n按网格\r\n网格,件数\r\n',
    );
  });

  it("writes every section of the dashboard, labels escaped", () => {
    const d = {
      ...dashboardAnswer,
      period: { from: new Date(2026, 10, 1).getTime(), to: new Date(2026, 11, 1).getTime() },
      by_grid: [{ key: "g", label: "东区,\"一\"网格\n北片", count: 2 }],
    };
    const text = dashboardCsv(d, t);
    expect(text.startsWith(BOM + "范围,全部案件\r\n登记时间,2026/11/01 – 2026/11/30\r\n案件总数,18\r\n\r\n")).toBe(true);
    const blocks = text.slice(1).split("\r\n\r\n");
    expect(blocks.map((b) => b.split("\r\n")[0])).toEqual([
      "范围,全部案件",
      "按状态",
      "按领域",
      "按中队",
      "按网格",
      "期限（按中队）",
      "期限（按执法人员）",
      "721 工作法（按中队）",
      "平板同步情况",
      "待上传证据",
    ]);
    expect(blocks[1]).toBe("按状态\r\n案件状态,件数\r\n立案,12\r\n<b>决定</b>,6");
    expect(blocks[4]).toBe('按网格\r\n网格,件数\r\n"东区,""一""网格\n北片",2');
    expect(blocks[5]).toBe("期限（按中队）\r\n中队,已逾期,即将到期\r\n一中队,3,1\r\n二中队,0,2");
    expect(blocks[6]).toBe("期限（按执法人员）\r\n执法人员,已逾期,即将到期\r\n37010001,1,0");
    expect(blocks[7]).toBe(
      "721 工作法（按中队）\r\n中队,服务,管理,执法,比例\r\n一中队,7,2,1,70% : 20% : 10%\r\n二中队,1,1,1,34% : 33% : 33%\r\n三中队,0,0,0,—",
    );
    expect(blocks[8]).toBe("平板同步情况\r\n设备,中队,最近同步\r\n<b>二中队 7 号平板</b>（pad-0007）,二中队,从未同步");
    expect(blocks[9]).toBe(
      `待上传证据\r\n设备,中队,待上传文件,涉及案件,最早登记于\r\n一中队 1 号平板（pad-0001）,一中队,3,2,${formatTime(Date.UTC(2026, 10, 28, 1, 2, 3))}\r\n`,
    );
    expect(dashboardCsv(dashboardAnswer, t)).toContain("登记时间,全部时间\r\n");
  });
});

describe("721 ratio", () => {
  it("gives whole percentages that add up to 100, or a dash when nothing was counted", () => {
    expect(ratioText(7, 2, 1)).toBe("70% : 20% : 10%");
    expect(ratioText(1, 1, 1)).toBe("34% : 33% : 33%");
    expect(ratioText(0, 0, 5)).toBe("0% : 0% : 100%");
    expect(ratioText(0, 0, 0)).toBe("—");
    expect(percentages([2, 1, 0])).toEqual([67, 33, 0]);
    expect(percentages([1, 1, 1, 1, 1, 1])?.reduce((a, b) => a + b)).toBe(100);
  });
});
