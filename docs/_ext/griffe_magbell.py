"""A Griffe extension for the API reference (mkdocs.yml): magbell's docstrings, as written, in Markdown.

magbell's docstrings are plain text in the Sphinx/NumPy habit: ``double backticks``, roles such as
:class:`~magbell.Model`, ``Parameters`` sections underlined with dashes and doctest examples (``>>>``, run by
tests/test_docs.py). The handler renders docstrings as Markdown (``docstring_style: null``: no section parser,
so free-form prose never produces parser warnings under ``mkdocs build --strict``). Before that, this extension
rewrites, in the copy Griffe holds (never the source):

* roles ``:func:`a.b``` / ``:class:`~a.b.C``` → code spans ``a.b`` / ``C`` (``~``: the last component);
* a NumPy section title underlined with dashes → a bold label, and its ``name : text`` entries → a list (also
  such entries at the start of a paragraph without a title);
* a doctest block (``>>>`` lines and their output) → a fenced ``pycon`` block;
* an RST simple table: two columns without a header → a list ``name — text``; any other → a fenced block;
* an RST literal block (a paragraph ending in ``::`` and the indented lines after it) → a fenced block.

It also reads a package without ``__all__`` the way type checkers do (PEP 484): ``from .x import y as y``
exports ``y`` (``magbell.medium`` lists its public names that way).
"""

from __future__ import annotations

import ast
import re

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|data|meth|attr|exc|obj|const|term):`(~?)([^`<]+?)(?:\s*<([^`>]+)>)?`")
_BORDER = re.compile(r"^ *=+( +=+)+ *$")
_ENTRY = re.compile(r"^([A-Za-z_*][\w*]*(?:\s*,\s*[A-Za-z_*][\w*]*)*)\s+:(?:\s+(.*))?$")  # "name : text"


def _role(m: re.Match) -> str:
    tilde, text, target = m.group(1), m.group(2).strip(), m.group(3)
    if target:  # :func:`text <target>`
        return f"`{text}`"
    return f"`{text.rsplit('.', 1)[-1] if tilde else text}`"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _table(rows: list[str]) -> list[str]:
    border = rows[0]
    cols = [m.start() for m in re.finditer(r"=+", border)]
    inner = rows[1:-1]
    base = " " * _indent(border)
    if len(cols) != 2 or any(_BORDER.match(r) for r in inner):  # headed or wider tables keep their layout
        bare = [_ROLE.sub(lambda m: _role(m).strip("`"), r[len(base):]) for r in rows]
        return ["", f"{base}```text", *bare, f"{base}```", ""]
    out = [""]
    for r in inner:
        if not r.strip():
            continue
        if _indent(r) >= cols[1]:  # continuation of the row above
            out.append(f"{base}  {r.strip()}")
            continue
        if len(r) > cols[1] and r[cols[1] - 1] == " ":
            name, text = r[: cols[1]].strip(), r[cols[1]:].strip()
        else:
            name, text = (re.split(r" {2,}", r.strip(), maxsplit=1) + [""])[:2]
        name = _ROLE.sub(_role, name)  # the table is split on the source's columns, then roles are rewritten
        name = name if "`" in name else f"`{name}`"
        out.append(f"{base}- {name} — {text}" if text else f"{base}- {name}")
    return out + [""]


def convert(text: str) -> str:
    """The Markdown form of one docstring (see the module docstring)."""
    lines = text.split("\n")
    out: list[str] = []
    i, n = 0, len(lines)
    section = False  # inside a NumPy section whose entries become list items
    while i < n:
        line = lines[i]
        s = line.strip()
        # a section title underlined with dashes (setext h2 in Markdown: it would become a page heading)
        if s and i + 1 < n and re.fullmatch(r"-{3,}", lines[i + 1].strip()) and not s.startswith(("-", "*", ">>>")):
            if out and out[-1].strip():
                out.append("")
            out += [f"{' ' * _indent(line)}**{s}**", ""]
            section = s in ("Parameters", "Returns", "Attributes", "Raises", "Yields", "Other Parameters")
            i += 2
            continue
        # an RST simple table, from its top border to the border that closes it
        if _BORDER.match(line):
            j = i + 1
            while j < n and not (_BORDER.match(lines[j]) and (j + 1 >= n or not lines[j + 1].strip())):
                j += 1
            if j < n:
                out += _table(lines[i : j + 1])
                i = j + 1
                continue
        # a doctest block: >>> / ... lines and the output after them, up to a blank line
        if s.startswith(">>>"):
            ind = " " * _indent(line)
            if out and out[-1].strip():
                out.append("")
            out.append(f"{ind}```pycon")
            while i < n and lines[i].strip():
                out.append(ind + lines[i][len(ind):] if lines[i].startswith(ind) else lines[i].strip())
                i += 1
            out += [f"{ind}```", ""]
            section = False
            continue
        # an RST literal block: "...::" then an indented block
        if s.endswith("::") and not s.startswith(">>>"):
            base = _indent(line)
            j = i + 1
            while j < n and not lines[j].strip():
                j += 1
            if j < n and _indent(lines[j]) > base:
                body_ind = _indent(lines[j])
                head = line.rstrip()[:-2].rstrip()
                if head.strip():
                    out.append(head + ":")
                k = j
                while k < n and (not lines[k].strip() or _indent(lines[k]) >= body_ind):
                    k += 1
                while k > j and not lines[k - 1].strip():
                    k -= 1
                lang = "pycon" if lines[j].strip().startswith(">>>") else "text"
                out += ["", f"{' ' * base}```{lang}"]
                out += [(" " * base + lines[m][body_ind:]) if lines[m].strip() else "" for m in range(j, k)]
                out += [f"{' ' * base}```", ""]
                i = k
                continue
        if section:
            if not s:
                section = i + 1 < n and bool(_ENTRY.match(lines[i + 1].strip() if i + 1 < n else ""))
                out.append(line)
                i += 1
                continue
            m = _ENTRY.match(line) if _indent(line) == 0 else None
            if m:
                names = ", ".join(f"`{x.strip()}`" for x in m.group(1).split(","))
                out.append(f"- {names} — {m.group(2) or ''}".rstrip())
                i += 1
                continue
            if _indent(line) > 0:  # continuation of the entry above
                out.append("  " + line.strip())
                i += 1
                continue
            if out and out[-1].startswith(("- ", "  ")):
                out.append("")  # a plain line ends the list
            section = False
            out.append(line)
            i += 1
            continue
        # "name : text" entries without a section title, at the start of a paragraph: the same list
        if _indent(line) == 0 and _ENTRY.match(line) and (not out or not out[-1].strip()):
            section = True
            continue
        out.append(line)
        i += 1
    return _ROLE.sub(_role, "\n".join(out))


class MagbellDocstrings(griffe.Extension):
    """Rewrite every loaded docstring once (see the module docstring)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:  # noqa: D102
        if obj.docstring is not None and not getattr(obj.docstring, "_magbell_md", False):
            obj.docstring.value = convert(obj.docstring.value)
            obj.docstring._magbell_md = True

    def on_module_members(self, *, node, mod: griffe.Module, **kwargs) -> None:  # noqa: D102
        if mod.exports is not None or not isinstance(node, ast.Module):
            return
        names = [a.name for st in node.body if isinstance(st, ast.ImportFrom) for a in st.names if a.asname == a.name]
        if names:
            mod.exports = names
