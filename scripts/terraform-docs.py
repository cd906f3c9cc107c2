#!/usr/bin/env python3
"""Writes the Inputs and Outputs tables of a Terraform module's README from
its variables.tf and outputs.tf: one row per variable (name, type, default
or "required", description) and per output (name, description, sensitive),
between the README's markers

    <!-- BEGIN INPUTS (scripts/terraform-docs.py) -->  …  <!-- END INPUTS -->
    <!-- BEGIN OUTPUTS (scripts/terraform-docs.py) --> …  <!-- END OUTPUTS -->

tests/project/terraform_docs.rs fails when a table and the module disagree
(a variable or output added, removed, retyped or given another default), and
says to run this.

Usage: scripts/terraform-docs.py [MODULE_DIR ...]
(default: terraform and terraform/modules/session-guard).
"""

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def blocks(source, kind):
    """(name, body) of each top-level `kind "name" {` block."""
    found = []
    for match in re.finditer(rf'^{kind} "([^"]+)" \{{\n', source, re.M):
        depth, at = 1, match.end()
        while depth:
            char = source[at]
            depth += {"{": 1, "}": -1}.get(char, 0)
            at += 1
        found.append((match.group(1), source[match.end() : at - 1]))
    return found


def attribute(body, name):
    """The text of a top-level attribute of a block body (two-space indent),
    heredocs and multi-line values joined on one line, or None."""
    lines = body.split("\n")
    for index, line in enumerate(lines):
        head = re.match(rf"^  {name}\s*=\s*(.*)$", line)
        if not head:
            continue
        value = head.group(1)
        heredoc = re.match(r"<<-?(\w+)$", value)
        if heredoc:
            text = []
            for rest in lines[index + 1 :]:
                if rest.strip() == heredoc.group(1):
                    break
                text.append(rest.strip())
            return " ".join(part for part in text if part)
        parts = [value]
        depth = value.count("(") + value.count("{") + value.count("[") - value.count(")") - value.count("}") - value.count("]")
        for rest in lines[index + 1 :]:
            if depth <= 0:
                break
            parts.append(rest.strip())
            depth += rest.count("(") + rest.count("{") + rest.count("[") - rest.count(")") - rest.count("}") - rest.count("]")
        if len(parts) > 2:
            # An object type's or value's members, one a line: a, b, c.
            parts = [parts[0], ", ".join(parts[1:-1]), parts[-1]]
        return re.sub(r"\s+", " ", " ".join(parts))
    return None


def string_value(text):
    """A quoted HCL string's text (its escapes undone), or a heredoc's."""
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


def cell(text):
    return text.replace("|", "\\|")


def inputs(module):
    rows = ["| name | type | default | description |", "|---|---|---|---|"]
    for name, body in blocks((module / "variables.tf").read_text(), "variable"):
        default = attribute(body, "default")
        rows.append(
            "| `{}` | `{}` | {} | {} |".format(
                name,
                cell(attribute(body, "type")),
                "required" if default is None else f"`{cell(default)}`",
                cell(string_value(attribute(body, "description"))),
            )
        )
    return rows


def outputs(module):
    rows = ["| name | description |", "|---|---|"]
    for name, body in blocks((module / "outputs.tf").read_text(), "output"):
        sensitive = " (sensitive)" if attribute(body, "sensitive") == "true" else ""
        rows.append(f"| `{name}` | {cell(string_value(attribute(body, 'description')))}{sensitive} |")
    return rows


def write(module):
    readme = module / "README.md"
    text = readme.read_text()
    for section, rows in (("INPUTS", inputs(module)), ("OUTPUTS", outputs(module))):
        begin = f"<!-- BEGIN {section} (scripts/terraform-docs.py) -->"
        end = f"<!-- END {section} -->"
        head, rest = text.split(begin)
        _, tail = rest.split(end)
        text = head + begin + "\n" + "\n".join(rows) + "\n" + end + tail
    readme.write_text(text)
    print(f"wrote the inputs and outputs of {readme.relative_to(REPO)}")


if __name__ == "__main__":
    for directory in sys.argv[1:] or ["terraform", "terraform/modules/session-guard"]:
        write(REPO / directory)
