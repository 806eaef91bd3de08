#!/usr/bin/env python3
"""Builds docs/conformance.md, the MQTT 3.1.1 conformance matrix.

Reads docs/conformance/statements.tsv (every normative statement of MQTT 3.1.1 and the MQTT 3.1
differences) and the Swift tests under Tests/, whose display names carry the ids they check, e.g.
@Test("[MQTT-3.1.0-2] a second CONNECT closes the connection"). Writes a table of each statement
with its tests, or the reason it does not apply.

Exits 1 when a server-side statement (side server or both) has neither a test nor a reason, or
when a test names an id the list does not know. With --check it writes nothing and exits 1 when
docs/conformance.md is not what it would write.

Standard library only: python3 scripts/conformance_table.py [--check]
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATEMENTS = os.path.join(ROOT, "docs", "conformance", "statements.tsv")
OUTPUT = os.path.join(ROOT, "docs", "conformance.md")
TESTS = os.path.join(ROOT, "Tests")

ID_PATTERN = re.compile(r"\[(MQTT(?:31)?-[0-9][0-9.\-]*)\]")
TEST_START = re.compile(r"@Test\(")
FUNC_NAME = re.compile(r"\bfunc\s+([A-Za-z_][A-Za-z0-9_]*)")
TYPE_NAME = re.compile(r"^\s*(?:@Suite[^\n]*?\s)?(?:final\s+)?(?:struct|class|enum|extension)\s+([A-Za-z_][A-Za-z0-9_]*)")
CLIENT_TESTS = os.path.join("Tests", "MQTTCoreTests")
STRING_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def read_statements(path):
    statements = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if fields[0] == "id":
                continue
            if len(fields) != 4:
                sys.exit(f"{path}:{number}: expected 4 tab-separated fields, got {len(fields)}")
            ident, paraphrase, side, reason = fields
            if side not in ("server", "client", "both"):
                sys.exit(f"{path}:{number}: side must be server, client or both, not {side!r}")
            statements.append({"id": ident, "paraphrase": paraphrase, "side": side, "reason": reason.strip()})
    seen = set()
    for statement in statements:
        if statement["id"] in seen:
            sys.exit(f"{path}: {statement['id']} listed twice")
        seen.add(statement["id"])
    return statements


def find_tests(root):
    """id -> list of tests ({ref, disabled, client}) from @Test display names."""
    found = {}
    for directory, _, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().split("\n")
            relative = os.path.relpath(path, ROOT)
            suite = None
            for index, line in enumerate(lines):
                declared = TYPE_NAME.search(line)
                if declared:
                    suite = declared.group(1)
                if not TEST_START.search(line):
                    continue
                # The attribute may span lines; it ends at the function it marks.
                attribute = []
                function = None
                for following in lines[index:index + 12]:
                    match = FUNC_NAME.search(following)
                    if match:
                        attribute.append(following[:match.start()])
                        function = match.group(1)
                        break
                    attribute.append(following)
                text = " ".join(attribute)
                literal = STRING_LITERAL.search(text[text.index("@Test("):])
                if not literal or function is None:
                    continue
                ids = ID_PATTERN.findall(literal.group(1))
                disabled = ".disabled(" in text
                for ident in ids:
                    name = f"{suite}.{function}" if suite else function
                    link = os.path.relpath(path, os.path.dirname(OUTPUT))
                    found.setdefault(ident, []).append({
                        "ref": f"[`{name}`]({link})", "disabled": disabled,
                        "client": relative.startswith(CLIENT_TESTS),
                    })
    return found


def escape(text):
    return text.replace("|", "\\|")


def render(statements, tests):
    rows = []
    counts = {"tested": 0, "reason": 0, "disabled": 0}
    for statement in statements:
        refs = tests.get(statement["id"], [])
        if refs:
            counts["tested"] += 1
            if all(ref["disabled"] for ref in refs):
                counts["disabled"] += 1
            cell = "<br>".join(ref["ref"] + (" (disabled: the broker violates it)" if ref["disabled"] else "") for ref in refs)
            if statement["reason"]:
                cell += "<br>" + escape(statement["reason"])
        elif statement["reason"]:
            counts["reason"] += 1
            cell = "not tested: " + escape(statement["reason"])
        else:
            cell = "**MISSING**"
        rows.append(f"| {statement['id']} | {escape(statement['paraphrase'])} | {statement['side']} | {cell} |")
    sides = {side: sum(1 for s in statements if s["side"] == side) for side in ("server", "client", "both")}
    numbered = sum(1 for s in statements if s["id"].startswith("MQTT-"))
    header = [
        "# MQTT conformance matrix",
        "",
        "Generated by `scripts/conformance_table.py` from `docs/conformance/statements.tsv` and the",
        "test names under `Tests/`; do not edit by hand (`python3 scripts/conformance_table.py`",
        "rewrites it, `--check` fails when it is out of date).",
        "",
        f"{numbered} normative statements of MQTT 3.1.1 (OASIS Standard, 29 October 2014, Appendix B) and",
        f"{len(statements) - numbered} MQTT 3.1 differences: {sides['server']} server side, {sides['client']} client side,",
        f"{sides['both']} both. {counts['tested']} have tests ({counts['disabled']} of them only disabled ones),",
        f"{counts['reason']} do not apply, with the reason given. Paraphrases are ours; the standard's text is authoritative.",
        "",
        "Server-side tests (`Tests/BrokerTests/Conformance/`) drive an in-process broker over real",
        "sockets with a packet-level client; client-side ones (`Tests/MQTTCoreTests/Conformance/`) drive",
        "MQTTCore's client against a packet-level server. Each test names the statements it checks in",
        "its display name, e.g. `@Test(\"[MQTT-3.1.0-2] ...\")`.",
        "",
        "| id | statement (paraphrased) | side | tests, or why it does not apply |",
        "| --- | --- | --- | --- |",
    ]
    return "\n".join(header + rows) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when docs/conformance.md is out of date")
    arguments = parser.parse_args()

    statements = read_statements(STATEMENTS)
    tests = find_tests(TESTS)
    problems = []
    known = {s["id"] for s in statements}
    for ident in sorted(set(tests) - known):
        problems.append(f"{ident}: named by {', '.join(ref['ref'] for ref in tests[ident])} but not in statements.tsv")
    for statement in statements:
        # A server-side statement needs a broker test (a client test covers only the client's part).
        broker_tests = [ref for ref in tests.get(statement["id"], []) if not ref["client"]]
        if statement["side"] != "client" and not statement["reason"] and not broker_tests:
            problems.append(f"{statement['id']}: a server-side statement with neither a broker test nor a reason")

    text = render(statements, tests)
    status = 0
    if arguments.check:
        try:
            with open(OUTPUT, encoding="utf-8") as handle:
                current = handle.read()
        except FileNotFoundError:
            current = None
        if current != text:
            problems.append("docs/conformance.md is out of date: run python3 scripts/conformance_table.py")
    else:
        with open(OUTPUT, "w", encoding="utf-8") as handle:
            handle.write(text)
    for problem in problems:
        print(problem, file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
