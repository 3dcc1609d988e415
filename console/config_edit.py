"""Small changes to the hall's TOML text that keep the rest of the file as IT staff wrote it:
a key of one service, of [mpp], or the list of holidays.

Not tomlkit: it cannot write back a file whose arrays of tables are split by other tables
(the example hall keeps each agency's [[queues]], [[services]] and [[counters]] together),
it regroups them and moves their comments. So the text is edited line by line here, and
every edit is checked: the edited text, read back with tomllib, must hold exactly the old
data with the intended change. An edit that would say anything else is refused (EditError),
never recorded. No aiohttp here: plain text in, plain text out."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DELETE = object()  # a value for `set_keys`: remove the key
# Where the first holiday goes in a file without any: before the first of these tables.
AFTER_HOLIDAYS = ("rules", "voice", "agencies", "queues", "services", "counters")


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class EditError(ValueError):
    """The file's layout is one this editor cannot change safely (English, for the log)."""


@dataclass
class _Stmt:
    kind: str  # "header", "keyval", "comment" or "blank"
    start: int  # first line index
    end: int  # last line index (inclusive)
    key: str = ""  # a keyval's key, a header's table name
    array: bool = False  # a [[header]]
    comment_col: int | None = None  # where a single-line keyval's trailing comment starts


def toml_value(value: Any) -> str:
    """A value as TOML text: whole numbers, floats, text (a basic string), dates, lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # as Python writes it (the voice's volume), which TOML reads back
    if isinstance(value, str):
        # JSON's escapes are TOML's; DEL is allowed in JSON strings but not in TOML's.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "".join(f"    {toml_value(v)},\n" for v in value) + "]"
    raise TypeError(f"{type(value).__name__} in a config edit")


def _scan(line: str, pos: int, state: dict[str, Any]) -> int | None:
    """Carry the string/bracket state over `line` from `pos`; the column of a comment."""
    i = pos
    while i < len(line):
        if state["ml"]:
            close = state["ml"]
            if close == '"""' and line[i] == "\\":
                i += 2
                continue
            if line.startswith(close, i):
                state["ml"] = ""
                i += 3
                continue
            i += 1
            continue
        c = line[i]
        if c == "#":
            return i
        if line.startswith('"""', i) or line.startswith("'''", i):
            state["ml"] = line[i:i + 3]
            i += 3
            continue
        if c in "\"'":
            j = i + 1
            while j < len(line) and line[j] != c:
                j += 2 if c == '"' and line[j] == "\\" else 1
            i = j + 1
            continue
        if c in "[{":
            state["depth"] += 1
        elif c in "]}":
            state["depth"] -= 1
        i += 1
    return None


def _key_end(line: str) -> int:
    """The column of the `=` after a key (quoted keys may hold one)."""
    quote = ""
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "=":
            return i
    raise EditError(f"a line is neither a table, a key nor a comment: {line.strip()!r}")


def _statements(lines: Sequence[str]) -> list[_Stmt]:
    out: list[_Stmt] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        text = line.strip()
        if not text:
            out.append(_Stmt("blank", i, i))
        elif text.startswith("#"):
            out.append(_Stmt("comment", i, i))
        elif text.startswith("["):
            array = text.startswith("[[")
            close = text.find("]]" if array else "]")
            name = text[2 if array else 1:close]
            out.append(_Stmt("header", i, i, ".".join(p.strip() for p in name.split(".")),
                             array))
        else:
            eq = _key_end(line)
            key = line[:eq].strip()
            if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
                key = key[1:-1]
            state: dict[str, Any] = {"ml": "", "depth": 0}
            start = i
            comment = _scan(line, eq + 1, state)
            while state["ml"] or state["depth"] > 0:
                i += 1
                if i >= len(lines):
                    raise EditError(f"the value of {key!r} does not end")
                comment = _scan(lines[i], 0, state)
            out.append(_Stmt("keyval", start, i, key,
                             comment_col=comment if start == i else None))
        i += 1
    return out


class TomlText:
    """The hall's TOML as lines, with the edits this module makes."""

    def __init__(self, text: str) -> None:
        self.original = text
        self.data = tomllib.loads(text)
        self.expected = copy.deepcopy(self.data)
        self.lines = text.splitlines()
        self.trailing_newline = text.endswith("\n")

    # --- where things are -------------------------------------------------------------------

    def _sections(self) -> list[tuple[_Stmt | None, list[_Stmt]]]:
        sections: list[tuple[_Stmt | None, list[_Stmt]]] = [(None, [])]
        for s in _statements(self.lines):
            if s.kind == "header":
                sections.append((s, []))
            else:
                sections[-1][1].append(s)
        return sections

    def _element(self, table: str, index: int | None
                 ) -> tuple[_Stmt, list[_Stmt]]:
        """The section of [table] (index None) or of the index-th [[table]]."""
        n = 0
        for header, body in self._sections():
            if header is None or header.key != table:
                continue
            if index is None and not header.array:
                return header, body
            if index is not None and header.array:
                if n == index:
                    return header, body
                n += 1
        raise EditError(f"no [{table}] table written as a table header")

    # --- edits ------------------------------------------------------------------------------

    def set_keys(self, table: str, index: int | None, values: Mapping[str, Any]) -> None:
        """Set (or with DELETE remove) keys of [table] or of the index-th [[table]]."""
        target = self.expected[table] if index is None else self.expected[table][index]
        for key, value in values.items():
            if value is DELETE:
                target.pop(key, None)
            else:
                target[key] = value
        self._write_keys(table, index, values)

    def _write_keys(self, table: str, index: int | None, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            self._write_into(self._element(table, index), key, value)

    def _write_into(self, part: tuple[_Stmt, list[_Stmt]], key: str, value: Any) -> None:
        header, body = part
        found = next((s for s in body if s.kind == "keyval" and s.key == key), None)
        if value is DELETE:
            if found is not None:
                del self.lines[found.start:found.end + 1]
            return
        text = f"{key} = {toml_value(value)}"
        if found is not None:
            if found.comment_col is not None:
                text += "  " + self.lines[found.start][found.comment_col:]
            self.lines[found.start:found.end + 1] = text.split("\n")
        else:
            last = max((s.end for s in body if s.kind == "keyval"), default=header.end)
            self.lines[last + 1:last + 1] = text.split("\n")

    def replace_holidays(self, holidays: Sequence[tuple[dt.date, str]]) -> None:
        """The hall's holidays become `holidays` (sorted by date): a holiday kept keeps its
        place and comments, one gone is removed, a new one goes after the last earlier one."""
        wanted = dict(sorted(holidays))
        old = self.data.get("holidays", [])
        if not isinstance(old, list):
            raise EditError("holidays is not a list of tables")
        old_dates = [h.get("date") for h in old]
        for day, name in wanted.items():
            if day not in old_dates:
                self._insert_holiday(day, name)
        for i, day in enumerate(old_dates):
            if day not in wanted:
                self._remove_element("holidays", self._holiday_index(day))
            elif old[i].get("name") != wanted[day]:
                self._rename_holiday(self._holiday_index(day), wanted[day])
        self._wanted_holidays = wanted

    def _holiday_index(self, day: dt.date) -> int:
        bodies = [b for h, b in self._sections() if h is not None and h.key == "holidays"
                  and h.array]
        return [self._date_of(b) for b in bodies].index(day)

    def _rename_holiday(self, index: int, name: str) -> None:
        self._write_keys("holidays", index, {"name": name})

    def _remove_element(self, table: str, index: int) -> None:
        header, body = self._element(table, index)
        last = max((s.end for s in body if s.kind == "keyval"), default=header.end)
        after = last + 1
        while after < len(self.lines) and not self.lines[after].strip():
            after += 1
        # Keep one blank line where there was one, so the next block stays apart.
        end = after - 1 if after > last + 1 else last
        del self.lines[header.start:end]
        if end == last:
            del self.lines[header.start]

    def _insert_holiday(self, day: dt.date, name: str) -> None:
        block = ["[[holidays]]", f"date = {toml_value(day)}", f"name = {toml_value(name)}", ""]
        holidays = [(h, b) for h, b in self._sections() if h is not None
                    and h.key == "holidays" and h.array]
        dates = [self._date_of(b) for _, b in holidays]
        earlier = [(h, b) for (h, b), d in zip(holidays, dates, strict=True)
                   if d is not None and d < day]
        if earlier:
            h, b = earlier[-1]
            last = max((s.end for s in b if s.kind == "keyval"), default=h.end)
            self.lines[last + 1:last + 1] = ["", *block[:-1]]
            return
        # None yet: before the hall's first table that the loader's layout puts after them.
        anchor = holidays[0][0] if holidays else next(
            (h for h, _ in self._sections() if h is not None and h.key in AFTER_HOLIDAYS),
            None)
        if anchor is None:
            self.lines += ["", *block[:-1]]
            return
        at = anchor.start
        while at > 0 and self.lines[at - 1].lstrip().startswith("#"):
            at -= 1  # the comments right above a table header are that table's
        self.lines[at:at] = block

    def _date_of(self, body: list[_Stmt]) -> dt.date | None:
        for s in body:
            if s.kind == "keyval" and s.key == "date":
                value = tomllib.loads("d = " + self.lines[s.start].split("=", 1)[1])["d"]
                return value if isinstance(value, dt.date) else None
        return None

    # --- the hall's structure: [[table]] items added and removed, their sub-tables ------------
    # (console.config_structure: agencies, services, queues, counters). Each keeps
    # `self.expected` in step, so `text()` checks the result like every other edit.

    def item_count(self, table: str) -> int:
        """How many [[table]] items the file writes as table headers (each one must be)."""
        items = self.data.get(table, [])
        if not isinstance(items, list):
            raise EditError(f"{table} is not a list of tables")
        headers = sum(1 for h, _ in self._sections()
                      if h is not None and h.key == table and h.array)
        if headers != len(items):
            raise EditError(f"the file writes {len(items)} [[{table}]] items but "
                            f"{headers} [[{table}]] headers (inline tables?)")
        return headers

    def _item_lines(self, table: str, index: int) -> tuple[int, int]:
        """First and last line of the index-th [[table]] item with its sub-tables
        ([services.hours], [[services.breaks]]); the comments and blank lines after its last
        key belong to what follows."""
        sections = self._sections()
        n, start = 0, None
        last = -1
        for header, body in sections:
            if header is None:
                continue
            if start is None:
                if header.key == table and header.array:
                    if n == index:
                        start = header.start
                        last = max((s.end for s in body if s.kind == "keyval"),
                                   default=header.end)
                    n += 1
                continue
            if header.key.startswith(table + "."):
                last = max((s.end for s in body if s.kind == "keyval"), default=header.end)
                continue
            break
        if start is None:
            raise EditError(f"no {index}-th [[{table}]] written as a table header")
        return start, last

    def append_item(self, table: str, values: Mapping[str, Any],
                    after: int | None = None,
                    subtables: Mapping[str, Mapping[str, Any]] | None = None) -> int:
        """A new [[table]] item right after the `after`-th one (with its sub-tables), or after
        the last one (None), or at the end of the file when there is none. `subtables`: its
        [table.key] sections (a service's own hours). Its index in the list."""
        count = self.item_count(table)
        if after is not None and not 0 <= after < count:
            raise EditError(f"no {after}-th [[{table}]] to add after")
        if after is None:
            after = count - 1 if count else None
        block = [f"[[{table}]]", *self._key_lines(values)]
        for key, sub in (subtables or {}).items():
            block += ["", f"[{table}.{key}]", *self._key_lines(sub)]
        if after is None:
            while self.lines and not self.lines[-1].strip():
                self.lines.pop()
            self.lines += ["", *block]
            self.trailing_newline = True
            index = 0
        else:
            _, last = self._item_lines(table, after)
            self.lines[last + 1:last + 1] = ["", *block]
            index = after + 1
        item = {**values, **{k: dict(v) for k, v in (subtables or {}).items()}}
        self.expected.setdefault(table, []).insert(index, copy.deepcopy(item))
        return index

    def remove_item(self, table: str, index: int) -> None:
        """Remove the index-th [[table]] item with its sub-tables; the comments above it
        stay (they may speak of the items around it)."""
        if not 0 <= index < self.item_count(table):
            raise EditError(f"no {index}-th [[{table}]] to remove")
        start, last = self._item_lines(table, index)
        after = last + 1
        while after < len(self.lines) and not self.lines[after].strip():
            after += 1
        # The blank lines before the next block stay one blank line (or none at the end).
        gap_before = start > 0 and not self.lines[start - 1].strip()
        del self.lines[start:after if gap_before or after >= len(self.lines) else last + 1]
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        del self.expected[table][index]

    def set_subtable(self, table: str, index: int, key: str,
                     values: Mapping[str, Any] | object) -> None:
        """Write the index-th [[table]] item's [table.key] section (e.g. a service's own
        hours, one key a weekday) as `values`, or remove it (DELETE). Written as a section
        after the item's keys; one the file writes as an inline table or dotted keys is
        refused (EditError) rather than rewritten."""
        self.item_count(table)
        _, body = self._element(table, index)
        if any(s.kind == "keyval" and (s.key == key or s.key.startswith(key + "."))
               for s in body):
            raise EditError(f"[[{table}]] {index} writes {key} inline; edit the file")
        start, last = self._item_lines(table, index)
        section = next(((h, b) for h, b in self._sections() if h is not None
                        and start < h.start <= last and h.key == f"{table}.{key}"
                        and not h.array), None)
        if section is None and any(h is not None and start < h.start <= last
                                   and h.key.startswith(f"{table}.{key}.")
                                   for h, _ in self._sections()):
            raise EditError(f"[[{table}]] {index} writes {key} in nested tables; edit the file")
        target = self.expected[table][index]
        if values is DELETE:
            target.pop(key, None)
            if section is not None:
                h, b = section
                end = max((s.end for s in b if s.kind == "keyval"), default=h.end)
                # The blank line that set it apart goes with it.
                first = h.start - 1 if h.start > 0 and not self.lines[h.start - 1].strip() \
                    else h.start
                del self.lines[first:end + 1]
            return
        assert isinstance(values, Mapping)
        target[key] = dict(values)
        lines = [f"[{table}.{key}]", *self._key_lines(values)]
        if section is None:
            self.lines[last + 1:last + 1] = ["", *lines]
            return
        h, b = section
        end = max((s.end for s in b if s.kind == "keyval"), default=h.end)
        self.lines[h.start:end + 1] = lines

    @staticmethod
    def _key_lines(values: Mapping[str, Any]) -> list[str]:
        out: list[str] = []
        for key, value in values.items():
            if not _BARE_KEY.fullmatch(key):
                raise EditError(f"key {key!r} would need quoting")
            out += f"{key} = {toml_value(value)}".split("\n")
        return out

    # --- the result -------------------------------------------------------------------------

    def text(self) -> str:
        """The edited text, checked against the intended data (EditError if it differs)."""
        new = "\n".join(self.lines) + ("\n" if self.trailing_newline else "")
        try:
            got = tomllib.loads(new)
        except tomllib.TOMLDecodeError as e:
            raise EditError(f"the edit would not be TOML: {e}") from None
        wanted = getattr(self, "_wanted_holidays", None)
        if wanted is not None:
            found = got.get("holidays", [])
            as_read = {h.get("date"): h.get("name", "Hari libur") for h in found}
            if len(found) != len(wanted) or as_read != wanted:
                raise EditError("the holidays read back differ from the ones asked for")
            got = {k: v for k, v in got.items() if k != "holidays"}
            expected = {k: v for k, v in self.expected.items() if k != "holidays"}
        else:
            expected = self.expected
        if got != expected:
            raise EditError("the edited file says more than the change asked for")
        return new



# --- the hall's hours, breaks and voice ---------------------------------------------------------
# Plain tables ([schedule.hours], [voice]), an agency's own [agencies.hours] and the
# [[schedule.breaks]] items, for the console's hall page (console.config_hall). Each edit
# changes `expected` as well as the lines, so `text()` checks it as it checks the others.

# Where a plain table the file lacks goes: before the first of these tables (the loader's
# layout keeps the hall's own tables above the agencies' blocks).
AFTER_HALL_TABLES = ("holidays", "agencies", "queues", "services", "counters")
BREAK_KEYS = ("day", "time", "label")


class HallEdits(TomlText):
    """TomlText with the edits of the hall page. A subclass so the methods above stay as
    they are (other pages add theirs there)."""

    def set_table(self, table: str, values: Mapping[str, Any]) -> None:
        """Set (or with DELETE remove) keys of the plain table [table], e.g. "schedule.hours"
        or "voice"; the table is written if the file has none."""
        target: Any = self.expected
        for part in table.split("."):
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise EditError(f"{table} is not a table")
        if not self._has_header(table, array=False):
            if _dig(self.data, table) is not None:
                raise EditError(f"[{table}] is not written as a table header")
            self._insert_table(table)
        for key, value in values.items():
            if value is DELETE:
                target.pop(key, None)
            else:
                target[key] = value
            self._write_into(self._element(table, None), key, value)

    def set_agency_hours(self, index: int, hours: Mapping[str, str] | None) -> None:
        """The index-th agency's own opening hours become `hours` (weekday -> "08:00-12:00");
        None: no hours of its own (the hall's). Its other keys are left as written."""
        agency = self.expected["agencies"][index]
        found = self._agency_part(index, "hours")
        if found is None and "hours" in self.data["agencies"][index]:
            raise EditError("an agency's hours are not written as [agencies.hours]")
        if hours is None:
            agency.pop("hours", None)
            if found is not None:
                header, body = found
                last = max((s.end for s in body if s.kind == "keyval"), default=header.end)
                del self.lines[header.start:last + 1]
            return
        agency["hours"] = dict(hours)
        if found is None:
            header, body = self._element("agencies", index)
            last = max((s.end for s in body if s.kind == "keyval"), default=header.end)
            self.lines[last + 1:last + 1] = ["[agencies.hours]"]
        old = self.data["agencies"][index].get("hours", {}) if found is not None else {}
        changes: dict[str, Any] = {k: DELETE for k in old if k not in hours}
        changes.update({k: v for k, v in hours.items() if old.get(k) != v})
        for key, value in changes.items():
            part = self._agency_part(index, "hours")
            assert part is not None
            self._write_into(part, key, value)

    def edit_breaks(self, rows: Sequence[Mapping[str, str] | None]) -> None:
        """[[schedule.breaks]]: row i (i below the number of breaks now) is the i-th break
        (None: removed, else its day, time and label, changed in place); rows after them are
        new breaks, written after the last one."""
        schedule = self.expected.setdefault("schedule", {})
        old = list(self.data.get("schedule", {}).get("breaks", []))
        if not isinstance(schedule, dict) or not all(isinstance(b, dict) for b in old):
            raise EditError("schedule.breaks is not a list of tables")
        if len(old) != sum(1 for h, _ in self._sections()
                           if h is not None and h.array and h.key == "schedule.breaks"):
            raise EditError("schedule.breaks are not all written as [[schedule.breaks]]")
        if len(rows) < len(old):
            raise EditError("every break must be given (None for one removed)")
        kept: list[dict[str, Any]] = []
        for i, row in enumerate(rows[:len(old)]):
            if row is None:
                continue
            changes = {k: row[k] for k in BREAK_KEYS if old[i].get(k) != row[k]}
            if changes:
                self._write_keys("schedule.breaks", i, changes)
            kept.append({**old[i], **{k: row[k] for k in BREAK_KEYS}})
        for row in rows[len(old):]:
            if row is None:
                continue
            self._append_break(row)
            kept.append({k: row[k] for k in BREAK_KEYS})
        for i in sorted((i for i, row in enumerate(rows[:len(old)]) if row is None),
                        reverse=True):
            self._remove_break(i)
        if kept or "breaks" in schedule:
            schedule["breaks"] = kept

    # --- helpers of the hall page's edits ---------------------------------------------------

    def _has_header(self, table: str, array: bool) -> bool:
        return any(h is not None and h.key == table and h.array == array
                   for h, _ in self._sections())

    def _insert_table(self, table: str) -> None:
        """An empty [table] before the first table the loader's layout puts after the hall's
        own (with the comments right above that table staying with it), else at the end."""
        parent = table.split(".", 1)[0]
        sections = self._sections()
        own = [(h, b) for h, b in sections if h is not None
               and (h.key == parent or h.key.startswith(parent + "."))]
        if own:  # next to its parent's other tables ([schedule.hours] by [[schedule.breaks]])
            self.lines[own[0][0].start:own[0][0].start] = [f"[{table}]", ""]
            return
        anchor = next((h for h, _ in sections if h is not None
                       and h.key.split(".", 1)[0] in AFTER_HALL_TABLES), None)
        if anchor is None:
            self.lines += ["", f"[{table}]"]
            return
        at = anchor.start
        while at > 0 and self.lines[at - 1].lstrip().startswith("#"):
            at -= 1
        self.lines[at:at] = [f"[{table}]", ""]

    def _agency_part(self, index: int, name: str) -> tuple[_Stmt, list[_Stmt]] | None:
        """The [agencies.<name>] section of the index-th agency (between its [[agencies]]
        header and the next table that is not one of its own)."""
        n = -1
        for header, body in self._sections():
            if header is None:
                continue
            if header.key == "agencies" and header.array:
                n += 1
            elif not header.key.startswith("agencies."):
                if n >= index:
                    return None
            elif n == index and header.key == f"agencies.{name}" and not header.array:
                return header, body
        return None

    def _remove_break(self, index: int) -> None:
        """Its header and keys; of the blank lines around it, one stays."""
        header, body = self._element("schedule.breaks", index)
        last = max((s.end for s in body if s.kind == "keyval"), default=header.end)
        del self.lines[header.start:last + 1]
        at = header.start
        while 0 < at < len(self.lines) and not self.lines[at].strip() \
                and not self.lines[at - 1].strip():
            del self.lines[at]

    def _append_break(self, row: Mapping[str, str]) -> None:
        block = ["[[schedule.breaks]]", *(f"{k} = {toml_value(row[k])}" for k in BREAK_KEYS)]
        items = [(h, b) for h, b in self._sections() if h is not None
                 and h.key == "schedule.breaks" and h.array]
        if items:
            h, b = items[-1]
        else:
            h, b = self._element("schedule.hours", None)
        last = max((s.end for s in b if s.kind == "keyval"), default=h.end)
        self.lines[last + 1:last + 1] = ["", *block]


def _dig(data: Mapping[str, Any], table: str) -> Any:
    value: Any = data
    for part in table.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value
