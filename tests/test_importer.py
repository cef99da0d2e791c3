"""The policy importer: measures, wording, metadata, the committed corpus and CLI errors."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest

from bot.knowledge.corpus import PolicyDocument, load_corpus
from bot.knowledge.importer import (
    ImportFailure, POLICY_DIR, REPO_ROOT, SOURCE_DIR, clean_text, clean_title, import_document,
    load_meta, main,
)

SOURCES = {
    "sx-2022-38": "000_06ea0f7588833abe.txt",
    "yc-2021-59": "001_19898ccdccd0db55.txt",
    "sx-2021-3": "002_2906312bfda063a7.txt",
    "sx-2014-35": "003_bdd7461d9830ef95.txt",
    "nx-2022-7": "004_c6f97725f515410c.txt",
}
CJK = "\u3400-\u9fff"
CN_NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三",
               "十四", "十五", "十六", "十七", "十八", "十九", "二十", "二十一", "二十二", "二十三",
               "二十四", "二十五", "二十六", "二十七"]


@pytest.fixture(scope="module")
def docs() -> dict[str, PolicyDocument]:
    imported = {}
    for doc_id, name in SOURCES.items():
        doc = import_document(SOURCE_DIR / name)
        assert doc.doc_id == doc_id
        imported[doc_id] = doc
    return imported


def by_clause(doc: PolicyDocument, clause: str):
    matches = [m for m in doc.measures if m.clause == clause]
    assert len(matches) == 1, f"{doc.doc_id}: {clause} found {len(matches)} times"
    return matches[0]


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- measures -------------------------------------------------------------------------------


def test_measure_numbers_per_document(docs):
    assert [m.number for m in docs["sx-2022-38"].measures] == ["前言"] + [str(n) for n in range(1, 21)]
    assert [m.number for m in docs["sx-2014-35"].measures] == ["前言"] + CN_NUMERALS
    assert [m.number for m in docs["nx-2022-7"].measures] == (
        ["前言"] + [str(n) for n in range(1, 21)] + ["施行"])
    assert [m.number for m in docs["yc-2021-59"].measures] == (
        ["前言", "一"] + [f"二（{n}）" for n in CN_NUMERALS[:9]]
        + [f"三（{n}）" for n in CN_NUMERALS[:4]])
    assert [m.number for m in docs["sx-2021-3"].measures] == ["前言"] + CN_NUMERALS[:6]


def test_clause_labels_and_headings(docs):
    m = by_clause(docs["sx-2022-38"], "第2条")
    assert (m.number, m.headings, m.title) == ("2", ("一、强化基本生活救助",), "增发一次性生活补贴")
    assert m.text.startswith("增发一次性生活补贴。一是认真落实")
    assert by_clause(docs["sx-2022-38"], "第16条").headings == ("四、强化工作监督管理",)

    m = by_clause(docs["yc-2021-59"], "第二部分第（一）项")
    assert (m.number, m.headings) == ("二（一）", ("二、任务措施",))
    m = by_clause(docs["yc-2021-59"], "第二部分第（七）项")  # "(七)" half-width in the source
    assert m.number == "二（七）" and m.title == "积极开展服务类社会救助"
    m = by_clause(docs["yc-2021-59"], "第三部分第（三）项")
    assert m.headings == ("三、组织保障",) and m.text.startswith("加强能力建设。")
    m = by_clause(docs["yc-2021-59"], "第一部分")
    assert (m.number, m.headings, m.title) == ("一", (), "总体要求")
    assert m.text.startswith("以习近平新时代中国特色社会主义思想为指导")

    m = by_clause(docs["sx-2021-3"], "第一条")
    assert (m.number, m.headings, m.title) == ("一", (), "保障市场供应充足和价格平稳")
    assert m.text.startswith("全面落实粮食安全责任制")

    m = by_clause(docs["sx-2014-35"], "第（十九）条")
    assert (m.number, m.headings, m.title) == ("十九", ("八、全面加强急难救助工作",), "完善临时救助政策")
    m = by_clause(docs["sx-2014-35"], "第（一）条")
    assert m.title == "科学制定、及时公布和动态调整最低生活保障标准"

    m = by_clause(docs["nx-2022-7"], "第2条")
    assert (m.number, m.headings) == ("2", ("一、强化基本生活救助",))
    m = by_clause(docs["nx-2022-7"], "施行日期和有效期")
    assert m.number == "施行" and m.text == "上述政策措施自印发之日起施行，有效期至2023年12月31日。"
    assert by_clause(docs["nx-2022-7"], "第20条").text.endswith("依法依规免予问责。")


def test_preambles(docs):
    for doc in docs.values():
        preamble = doc.measures[0]
        assert (preamble.number, preamble.clause, preamble.title) == ("前言", "前言", "")
        assert "：" not in preamble.text[:40], "the addressee line is dropped"
    assert docs["sx-2022-38"].measures[0].text.startswith("为深入贯彻习近平总书记")
    assert docs["sx-2014-35"].measures[0].text.startswith("社会救助是国家和社会")
    nx = docs["nx-2022-7"].measures[0].text
    assert nx.startswith("《自治区民政厅财政厅关于做好困难群众基本生活保障的若干措施》已经自治区人民政府同意")
    assert "组织实施。为深入贯彻习近平总书记" in nx and nx.endswith("制定六个方面20条措施。")
    assert "宁夏回族自治区人民政府办公厅" not in nx and "公开发布" not in nx


# --- wording --------------------------------------------------------------------------------


def _locate(text: str, source: str, start: int) -> list[tuple[int, int]]:
    """Find `text` in `source` from `start` on, as few contiguous pieces in order as possible."""
    pieces = []
    while text:
        index = source.find(text, start)
        if index >= 0:
            pieces.append((index, len(text)))
            break
        found, missing = 0, len(text)  # longest prefix found at or after `start`
        while missing - found > 1:
            middle = (found + missing) // 2
            if source.find(text[:middle], start) >= 0:
                found = middle
            else:
                missing = middle
        assert found >= 10, f"not in the source: {text[:40]}"
        index = source.find(text[:found], start)
        pieces.append((index, found))
        start, text = index + found, text[found:]
    return pieces


@pytest.mark.parametrize("doc_id", sorted(SOURCES))
def test_wording_preserved_in_order(docs, doc_id):
    doc = docs[doc_id]
    source = compact((SOURCE_DIR / SOURCES[doc_id]).read_text(encoding="utf-8"))
    start = 0
    covered = []
    for m in doc.measures:
        pieces = _locate(compact(m.text), source, start)
        expected = 2 if (doc_id, m.number) == ("nx-2022-7", "前言") else 1
        assert len(pieces) == expected, f"{doc_id} {m.clause}: {len(pieces)} pieces"
        covered += pieces
        start = pieces[-1][0] + pieces[-1][1]
    # Nothing was lost: every sentence of the source is in some measure.
    leftover, position = [], 0
    for index, length in covered:
        leftover.append(source[position:index])
        position = index + length
    leftover.append(source[position:])
    assert not [part for part in leftover if "。" in part]
    # Between measures only markers and section headings are left out.
    assert not [part for part in leftover[1:-1] if re.search(r"[，；]", part) or len(part) > 80]


@pytest.mark.parametrize("doc_id", sorted(SOURCES))
def test_layout_cleaned(docs, doc_id):
    for m in docs[doc_id].measures:
        assert "\n" not in m.text and "  " not in m.text and "\u3000" not in m.text
        assert not re.search(rf"[{CJK}]\s+[{CJK}]", m.text), f"{doc_id} {m.clause}"
        assert not re.search(r"\s", m.text.replace(" ", "")), f"{doc_id} {m.clause}"
        assert not re.search(r" (?![A-Za-z0-9])|(?<![A-Za-z0-9]) ", m.text), f"{doc_id} {m.clause}"
        assert "#" not in m.text and "公开发布" not in m.text and "主动公开" not in m.text
        assert m.title == "" or (m.title and len(m.title) <= 30)


def test_page_breaks_and_stray_spaces_joined(docs):
    sx22 = docs["sx-2022-38"]
    assert "要突出重点，将最低生活保障边缘家庭" in by_clause(sx22, "第1条").text
    assert "省民政厅、省财政厅、山西银保监局《关于进一步规范" in by_clause(sx22, "第4条").text
    assert "每月10日前发放到户" in by_clause(sx22, "第4条").text
    assert "确保5年过渡期内，按照中央" in by_clause(sx22, "第6条").text
    assert "办理程序、应尽义务等" in by_clause(sx22, "第19条").text
    sx14 = docs["sx-2014-35"]
    assert "最低生活保障标准由设区的市人民政府确定和公布" in by_clause(sx14, "第（一）条").text
    assert "国务院《社会救助暂行办法》（以下简称《办法》）于2014年5月1日正式施行" in sx14.measures[0].text
    assert "对21个集中连片贫困县" in by_clause(sx14, "第（十二）条").text
    assert "法人登记率达到100%。" in by_clause(sx14, "第（五）条").text
    yc = docs["yc-2021-59"]
    assert yc.measures[0].text.count("全力以赴推进脱贫攻坚兜底保障工作") == 1
    assert "对脱贫困人口中" in by_clause(yc, "第二部分第（一）项").text
    assert by_clause(yc, "第二部分第（二）项").title == "严格落实城乡低保、特困供养提标和价格临时补贴政策"
    assert "要进一步畅通社会救助服务热线" in by_clause(yc, "第二部分第（五）项").text
    assert by_clause(docs["nx-2022-7"], "第8条").text.startswith("强化因病生活困难群众救助帮扶。")


def test_text_helpers():
    assert clean_text("每月 10 日前\n发放") == "每月10日前发放"
    assert clean_text("《社会救助暂行办法 》　　于 2014年 5月 1\n\n日") == "《社会救助暂行办法》于2014年5月1日"
    assert clean_text("APP 1 2 版") == "APP 1 2版"
    assert clean_title(["自治区人民政府办公厅转发", "《自治区民政厅 财政厅关于做好困难群众基本生活保障的若干措施》的通知"]) == (
        "自治区人民政府办公厅转发《自治区民政厅 财政厅关于做好困难群众基本生活保障的若干措施》的通知")
    assert clean_title(["山西省民政厅 山西省财政厅 关于切实保障困难群众基本生活的通知"]) == (
        "山西省民政厅 山西省财政厅关于切实保障困难群众基本生活的通知")


# --- metadata -------------------------------------------------------------------------------


def test_document_metadata(docs):
    expected = {
        "sx-2022-38": ("晋民发〔2022〕38号", None, "2022年", "山西省", None, "山西省民政厅、山西省财政厅"),
        "yc-2021-59": ("运民发〔2021〕59号", dt.date(2021, 10, 26), "2021年10月26日", "山西省运城市", None,
                       "运城市民政局、运城市财政局、运城市乡村振兴局"),
        "sx-2021-3": ("晋政办发电〔2021〕3号", dt.date(2021, 2, 4), "2021年2月4日", "山西省", None,
                      "山西省人民政府办公厅"),
        "sx-2014-35": ("晋政发〔2014〕35号", dt.date(2014, 10, 31), "2014年10月31日", "山西省", None,
                       "山西省人民政府"),
        "nx-2022-7": ("宁政办规发〔2022〕7号", dt.date(2022, 6, 7), "2022年6月7日", "宁夏回族自治区",
                      dt.date(2023, 12, 31), "宁夏回族自治区人民政府办公厅（转发自治区民政厅、财政厅）"),
    }
    for doc_id, (number, issued, issued_text, region, valid_until, issuer) in expected.items():
        doc = docs[doc_id]
        assert (doc.doc_number, doc.issued, doc.issued_text, doc.region, doc.valid_until, doc.issuer) == (
            number, issued, issued_text, region, valid_until, issuer), doc_id
        assert doc.source_file == f"data/policies/sources/{SOURCES[doc_id]}"
    assert docs["sx-2014-35"].title == "山西省人民政府关于贯彻落实《社会救助暂行办法》的实施意见"
    assert docs["nx-2022-7"].title == (
        "自治区人民政府办公厅转发《自治区民政厅 财政厅关于做好困难群众基本生活保障的若干措施》的通知")
    assert docs["sx-2021-3"].title == "山西省人民政府办公厅关于进一步做好困难群众基本生活保障有关工作的通知"
    assert docs["sx-2022-38"].title == "山西省民政厅 山西省财政厅关于切实保障困难群众基本生活的通知"


def test_measure_expiries(docs):
    sx22 = docs["sx-2022-38"]
    m = by_clause(sx22, "第2条")
    assert m.valid_until == dt.date(2022, 8, 20)
    assert m.expiry_note == ("2022年的一次性补贴（300元生活补贴、1500元爱心消费券），"
                             "要求2022年8月20日前发放到位，已执行完毕")
    nx = docs["nx-2022-7"]
    m = by_clause(nx, "第1条")
    assert m.valid_until == dt.date(2022, 8, 31)
    assert m.expiry_note == "2022年6月至8月连续发放3个月的一次性生活补贴，已发放完毕"
    assert nx.measure_valid_until(by_clause(nx, "第2条")) == dt.date(2023, 12, 31)
    sx21 = docs["sx-2021-3"]
    for clause in ("第二条", "第三条"):
        m = by_clause(sx21, clause)
        assert (m.valid_until, m.expiry_note) == (dt.date(2021, 2, 11), "2021年春节前的阶段性安排")
    expiring = {(d.doc_id, m.clause) for d in docs.values() for m in d.measures if m.valid_until}
    assert expiring == {("sx-2022-38", "第2条"), ("nx-2022-7", "第1条"),
                        ("sx-2021-3", "第二条"), ("sx-2021-3", "第三条")}


# --- committed corpus -----------------------------------------------------------------------


def test_committed_corpus_is_what_the_importer_writes(tmp_path, capsys):
    assert main(["--all", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(SOURCES)
    assert printed[0].split("\t")[:3] == ["sx-2022-38", "晋民发〔2022〕38号", "21 measures"]
    generated = sorted(p.name for p in tmp_path.glob("*.yml"))
    committed = sorted(p.name for p in POLICY_DIR.glob("*.yml"))
    assert generated == committed == sorted(f"{doc_id}.yml" for doc_id in SOURCES)
    for name in generated:
        assert (tmp_path / name).read_text(encoding="utf-8") == (POLICY_DIR / name).read_text(
            encoding="utf-8"), f"{name} differs from the importer output: re-run --all, never edit it"
    assert [d.doc_id for d in load_corpus(POLICY_DIR)] == sorted(SOURCES)


# --- new notices and errors -----------------------------------------------------------------

NEW_NOTICE = """\
某市民政局 文件

某民发〔2023〕5号

某市民政局关于做好冬季救助工作的通知

各县（区）民政局：

为做好冬季救助工作，现通知如下：

一、加强排查

（一）开展走访。各县要在12月 底前完成
走访。

（二）建立台账。要建立台账。

二、强化保障

（一）按时发放。救助金每月 5 日前发放。

某市民政局
2023年11月2日
"""


def test_new_notice_needs_no_code_change(tmp_path):
    source = tmp_path / "005_new.txt"
    source.write_text(NEW_NOTICE, encoding="utf-8")
    meta = tmp_path / "meta.yml"
    meta.write_text("doc_id: ms-2023-5\nregion: 山西省某市\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(source), "--meta", str(meta), "--out", str(out)]) == 0
    [doc] = load_corpus(out)
    assert (doc.doc_number, doc.title, doc.issuer, doc.issued) == (
        "某民发〔2023〕5号", "某市民政局关于做好冬季救助工作的通知", "某市民政局", dt.date(2023, 11, 2))
    assert [(m.number, m.clause) for m in doc.measures] == [
        ("前言", "前言"), ("一（一）", "第一部分第（一）项"), ("一（二）", "第一部分第（二）项"),
        ("二（一）", "第二部分第（一）项")]
    assert doc.measures[1].text == "开展走访。各县要在12月底前完成走访。"
    assert doc.measures[3].headings == ("二、强化保障",)


def test_missing_doc_number_is_an_error(tmp_path, capsys):
    source = tmp_path / "zz_no_number.txt"
    source.write_text(NEW_NOTICE.replace("某民发〔2023〕5号", ""), encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(source), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "zz_no_number.txt" in err and "doc_number:" in err and "region:" in err
    assert "data/policies/meta/zz_no_number.yml" in err
    assert not out.exists()


def test_cli_exit_code_and_message(tmp_path):
    source = tmp_path / "zz_no_number.txt"
    source.write_text("各市民政局：\n\n一、加强排查\n\n（一）开展走访。要走访。\n", encoding="utf-8")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "bot.knowledge.importer", str(source), "--out", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "zz_no_number.txt" in result.stderr and "doc_number" in result.stderr
    assert not out.exists()


def test_sidecar_unknown_key_is_an_error(tmp_path, capsys):
    source = tmp_path / "005_new.txt"
    source.write_text(NEW_NOTICE, encoding="utf-8")
    meta = tmp_path / "meta.yml"
    meta.write_text("doc_id: ms-2023-5\nregoin: 山西省某市\n", encoding="utf-8")
    with pytest.raises(ImportFailure, match="regoin"):
        load_meta(meta)
    out = tmp_path / "out"
    assert main([str(source), "--meta", str(meta), "--out", str(out)]) == 2
    assert "regoin" in capsys.readouterr().err
    assert not out.exists()

    meta.write_text("doc_id: ms-2023-5\nregion: 山西省某市\nmeasures:\n  第一部分第（一）项:\n"
                    "    valid_until: 2023-12-31\n    note: x\n", encoding="utf-8")
    with pytest.raises(ImportFailure, match="note"):
        load_meta(meta)
    meta.write_text("doc_id: ms-2023-5\nregion: 山西省某市\nmeasures:\n  第9条:\n"
                    "    valid_until: 2023-12-31\n", encoding="utf-8")
    with pytest.raises(ImportFailure, match="第9条"):
        import_document(source, meta)
    meta.write_text("doc_id: ../x\nregion: 山西省某市\n", encoding="utf-8")
    with pytest.raises(ImportFailure, match="doc_id"):
        load_meta(meta)
