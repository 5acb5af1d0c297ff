"""The SHAK navigator pane: the code tree, a filter by code prefix or text, go to a code, the checks.

The pane reports to its screen with messages: which code is under the cursor
(``Highlighted``), a SOR unit to show in the organisation tree (``ShowUnit``), a
go-to key that is not a SHAK-kode (``GotoElsewhere``), the unit list wanted (``FocusUnits``),
the go-to prompt wanted (``GotoAsked``; the answer comes back to ``goto``), a code's
history wanted (``HistoryAsked``). The screen opens the other screens: a widget never does.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import ContentSwitcher, Input, OptionList, Tree
from textual.widgets.option_list import Option
from textual.widgets.tree import TreeNode
from textual.worker import get_current_worker

from sortui.domain.words import plural
from sortui.store import queries
from sortui.store.search import shak_search
from sortui.store.shak_checks import CHECKS, Finding, ShakReport, check_shak
from sortui.widgets import shak_data
from sortui.widgets.form import SafeInput
from sortui.widgets.guard import reports_errors
from sortui.widgets.paged_tree import fit_label
from sortui.widgets.safe import Fitted, clean
from sortui.widgets.shak_data import ShakItem, ShakStep, View
from sortui.widgets.shak_text import check_group_label, entry_label, finding_label
from sortui.widgets.shak_tree import ShakTree
from sortui.widgets.source import Source

HITS = 200
FINDINGS_SHOWN = 500  # per check; `sortui check shak` lists them all


class ShakFilter(SafeInput):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "focus_hits", "Go to the matching codes", show=False, id="shak.filter_hits"),
    ]

    def action_focus_hits(self) -> None:
        hits = self.screen.query_one(ShakHits)
        if hits.option_count:
            hits.focus()


class ShakHits(OptionList):
    """Codes matching the filter; enter shows one in the tree."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Next code", show=False, id="shak.hits_down"),
        Binding("k", "cursor_up", "Previous code", show=False, id="shak.hits_up"),
        Binding("g", "first", "First code", show=False, id="shak.hits_first"),
        Binding("G", "last", "Last code", show=False, id="shak.hits_last"),
    ]


class ShakChecks(Tree[Finding | str]):
    """Findings of the SHAK checks, grouped by check; enter goes to the unit or the code."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="shak.checks_down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="shak.checks_up"),
        Binding("l,right", "expand", "Expand a check", show=False, id="shak.checks_expand"),
        Binding("h,left", "collapse", "Collapse, or go to the check", show=False, id="shak.checks_collapse"),
        Binding("g,home", "scroll_home", "First line", show=False, id="shak.checks_first"),
        Binding("G,end", "scroll_end", "Last line", show=False, id="shak.checks_last"),
        Binding("enter", "choose", "Go to the unit or the code; expand a check", show=False, id="shak.checks_open"),
    ]

    class Chosen(Message):
        def __init__(self, finding: Finding) -> None:
            super().__init__()
            self.finding = finding

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("checks", **kwargs)
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 2

    def render_label(self, node: TreeNode[Finding | str], base_style: Style, style: Style) -> Text:
        return fit_label(self, node, super().render_label(node, base_style, style))

    def show_report(self, report: ShakReport) -> None:
        self.clear()
        counts = report.counts()
        for check in CHECKS:
            if check in report.skipped:
                self.root.add_leaf(Text(f"{check}: skipped (needs SOR and SHAK data)", style="dim"), check)
                continue
            findings = [f for f in report.findings if f.check == check]
            if not findings:
                self.root.add_leaf(check_group_label(check, 0), check)
                continue
            group = self.root.add(check_group_label(check, counts[check]), check)
            for finding in findings[:FINDINGS_SHOWN]:
                group.add_leaf(finding_label(finding), finding)
            if len(findings) > FINDINGS_SHOWN:
                left = len(findings) - FINDINGS_SHOWN
                group.add_leaf(Text(f"… {left:,} more: sortui check shak lists them all", style="dim"), check)
            if 0 < len(findings) <= 50:
                group.expand()
        self.cursor_line = 0

    def action_expand(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand:
            node.expand()

    def action_collapse(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

    def action_choose(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if isinstance(node.data, Finding):
            self.post_message(self.Chosen(node.data))
        elif node.allow_expand:
            node.toggle()

    def cursor_code(self) -> str | None:
        node = self.cursor_node
        return node.data.shak_code if node is not None and isinstance(node.data, Finding) else None


class ShakPane(Vertical):
    """The SHAK navigator: the code tree, or the codes matching the filter, or the checks."""

    BORDER_TITLE = "SHAK"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", tooltip="Filter SHAK-koder by code prefix or text", id="shak.filter"),
        Binding("colon", "goto", "Go to a SHAK-kode (other keys: the organisation tree)", show=False, id="shak.goto"),
        Binding("a,c", "all_versions", "All", tooltip="All codes, or only those valid on the view date", id="shak.all"),
        Binding("v", "history", "History", tooltip="Every version of the code", show=False, id="shak.history"),
        Binding("u", "units", "Units", tooltip="The SOR units carrying the code", show=False, id="shak.units"),
        Binding("x", "checks", "Checks", tooltip="Consistency checks between SOR and SHAK", id="shak.checks"),
        Binding("escape", "back", "Back to the code tree", show=False, id="shak.back"),
    ]

    class Highlighted(Message):
        """The code under the cursor (None: a note; ``present`` says whether there are SHAK-koder)."""

        def __init__(self, code: str | None, present: bool = True) -> None:
            super().__init__()
            self.code = code
            self.present = present

    class ShowUnit(Message):
        def __init__(self, sor_id: str) -> None:
            super().__init__()
            self.sor_id = sor_id

    class GotoElsewhere(Message):
        """A go-to key that is not a SHAK-kode of the SHAK file: for the organisation tree."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class FocusUnits(Message):
        """The list of SOR units carrying the code under the cursor is wanted."""

    class GotoAsked(Message):
        """The go-to key was pressed in the pane: the screen prompts for a key and hands it to ``goto``."""

    class HistoryAsked(Message):
        """Every version of ``code`` is wanted (the screen shows its history)."""

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    class Located(Message):
        def __init__(self, key: str, code: str, steps: list[ShakStep] | None, view: View, generation: int, why: str):
            super().__init__()
            self.key = key
            self.code = code
            self.steps = steps
            self.view = view
            self.generation = generation
            self.why = why  # keep (a reload), show (a code from the pane or the tree), goto (the go-to prompt)

    class Results(Message):
        def __init__(self, text: str, entries: list[queries.ShakEntry]) -> None:
            super().__init__()
            self.text = text
            self.entries = entries

    class Checked(Message):
        def __init__(self, report: ShakReport) -> None:
            super().__init__()
            self.report = report

    def __init__(self, source: Source, view_date: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.view = View(view_date)
        self.present = True
        self.hits: list[queries.ShakEntry] = []

    def compose(self) -> ComposeResult:
        field = ShakFilter(placeholder="SHAK-kode prefix or text", id="shak-filter")
        field.cursor_blink = False
        yield field
        with ContentSwitcher(initial="shak-tree", id="shak-views"):
            yield ShakTree(self.source, self.view, id="shak-tree")
            yield ShakHits(id="shak-hits")
            yield ShakChecks(id="shak-checks")

    @property
    def tree(self) -> ShakTree:
        return self.query_one(ShakTree)

    @property
    def mode(self) -> str:
        return self.query_one(ContentSwitcher).current or "shak-tree"

    def on_mount(self) -> None:
        self._subtitle()

    def start(self) -> None:
        """Read the top level, unless it is read or being read: the main screen asks once its organisation
        tree is shown, so that the hidden SHAK tree's reading and filling do not delay the first screen."""
        root = self.tree.root.data
        if root is not None and not (root.loaded or root.loading):
            self.tree.load_root()

    def focus_view(self) -> None:
        """Focus what the pane shows: the tree, the matching codes or the checks."""
        self.query_one(f"#{self.mode}").focus()

    def current_code(self) -> str | None:
        if self.mode == "shak-hits":
            index = self.query_one(ShakHits).highlighted
            return self.hits[index].code if index is not None and index < len(self.hits) else None
        if self.mode == "shak-checks":
            return self.query_one(ShakChecks).cursor_code()
        return self.tree.cursor_code()

    def visible_codes(self) -> list[str]:
        """The codes the pane shows that SOR units carry: the tree's lines, or the codes matching the filter."""
        if self.mode == "shak-hits":
            return [entry.code for entry in self.hits if entry.units]
        return self.tree.visible_codes() if self.mode == "shak-tree" else []

    def _show(self, mode: str) -> None:
        self.query_one(ContentSwitcher).current = mode
        self.set_class(mode == "shak-hits", "-filtering")
        self._subtitle()
        self.post_message(self.Highlighted(self.current_code(), self.present))

    def _subtitle(self) -> None:
        what = {"shak-hits": "filter", "shak-checks": "checks"}.get(self.mode)
        dates = "all versions" if self.view.all_versions else f"valid {self.view.on}"
        self.border_subtitle = f"{what} · {dates}" if what else dates

    # -- date, all versions, reload -------------------------------------------------

    def set_view_date(self, on: str) -> None:
        if on != self.view.on:
            self._reload(View(on, self.view.all_versions))

    def reload(self) -> None:
        if self.query(ShakTree):  # not composed yet: it loads when it mounts (an import may finish first)
            self._reload(self.view)

    def _reload(self, view: View) -> None:
        """Read the tree again for ``view``, keeping the code under the cursor in view."""
        keep = self.tree.cursor_code()
        self.view = view
        self.tree.reset(view)
        self._subtitle()
        if keep:
            self._locate(keep, keep, view, self.tree.generation, "keep")
        else:
            self.tree.load_root()
        if self.mode == "shak-hits":
            self.run_filter(self.query_one(ShakFilter).value)
        elif self.mode == "shak-checks":
            self._start_checks()

    def action_all_versions(self) -> None:
        self._reload(View(self.view.on, not self.view.all_versions))
        if self.view.all_versions:
            self.notify(f"All codes shown; those not valid on {self.view.on} dimmed", markup=False, timeout=3)
        else:
            self.notify(f"Only codes valid on {self.view.on}", markup=False, timeout=3)

    # -- go to a code ---------------------------------------------------------------

    def action_goto(self) -> None:
        self.post_message(self.GotoAsked())

    def goto(self, key: str) -> None:
        """Go to ``key`` typed at the go-to prompt: a SHAK-kode here, anything else in the organisation tree."""
        code = shak_data.normalise_code(key)
        if code is None:
            self.post_message(self.GotoElsewhere(key))
            return
        self._locate(key, code, self.view, self.tree.generation, "goto")

    def show_code(self, code: str) -> None:
        """Expand the tree down to ``code`` and put the cursor on it (all versions if it is not valid on the date)."""
        self.border_title = "SHAK"
        self._locate(code, code, self.view, self.tree.generation, "show")

    @work(thread=True, exclusive=True, group="shak-locate")
    @reports_errors
    def _locate(self, key: str, code: str, view: View, generation: int, why: str) -> None:
        with self.source.connection() as conn:
            steps = shak_data.locate(conn, code, view)
            if steps is None and why != "keep" and not view.all_versions:
                view = View(view.on, True)
                steps = shak_data.locate(conn, code, view)
        self.post_message(self.Located(key, code, steps, view, generation, why))

    @on(Located)
    def _located(self, message: Located) -> None:
        message.stop()
        tree = self.tree
        if message.generation != tree.generation:
            return
        if message.steps is None:
            self._not_located(message)
            return
        if message.view != self.view:
            self.view = message.view
            tree.reset(message.view)
            self._subtitle()
            self.notify(f"{message.code} is not valid on {self.view.on}: all versions are shown", markup=False)
        if message.why != "keep":
            self._show("shak-tree")
            tree.focus()
        tree.reveal(message.steps)

    def _not_located(self, message: Located) -> None:
        if message.why == "keep":  # a reload that lost the code under the cursor
            self.tree.load_root()
        elif message.why == "goto":
            self.post_message(self.GotoElsewhere(message.key))
        else:
            self.notify(f"SHAK-kode {message.code} is not in the SHAK file", severity="error", markup=False)

    # -- filter -----------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one(ShakFilter)
        self._show("shak-hits")
        field.focus()
        field.select_all()
        self.run_filter(field.value)  # the view may have changed since

    @on(Input.Changed, "#shak-filter")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.run_filter(event.value)

    @work(thread=True, exclusive=True, group="shak-filter")
    @reports_errors
    def run_filter(self, text: str) -> None:
        worker = get_current_worker()
        with self.source.connection() as conn:
            entries = shak_search(conn, text, self.view.on, self.view.all_versions, limit=HITS)
        if not worker.is_cancelled:
            self.post_message(self.Results(text, entries))

    @on(Results)
    def _results(self, message: Results) -> None:
        message.stop()
        if message.text != self.query_one(ShakFilter).value:
            return
        self.hits = message.entries
        hits = self.query_one(ShakHits)
        hits.clear_options()
        hits.add_options([Option(Fitted(entry_label(e, self.view.on))) for e in message.entries])
        if message.entries:
            hits.highlighted = 0
        n = len(message.entries)
        count = plural(n, "code") + ("+" if n >= HITS else "")
        self.border_title = f"SHAK: {count}" if message.text.strip() else "SHAK"
        self.post_message(self.Highlighted(self.current_code(), self.present))

    @on(Input.Submitted, "#shak-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        code = self.current_code()
        if code:
            self._choose(code)

    @on(OptionList.OptionHighlighted, "#shak-hits")
    def _hit_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.post_message(self.Highlighted(self.current_code(), self.present))

    @on(OptionList.OptionSelected, "#shak-hits")
    def _hit_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self.hits):
            self._choose(self.hits[event.option_index].code)

    def _choose(self, code: str) -> None:
        self.show_code(code)

    def action_back(self) -> None:
        if self.mode != "shak-tree":
            self.border_title = "SHAK"
            self._show("shak-tree")
            self.tree.focus()

    # -- the tree -----------------------------------------------------------------------

    @on(Tree.NodeHighlighted, "#shak-tree")
    def _tree_highlighted(self, event: Tree.NodeHighlighted[ShakItem]) -> None:
        event.stop()
        if self.mode == "shak-tree":
            self.post_message(self.Highlighted(self.tree.cursor_code(), self.present))

    @on(ShakTree.RootLoaded)
    def _root_loaded(self, message: ShakTree.RootLoaded) -> None:
        self.present = message.present
        if not message.present:
            self.post_message(self.Highlighted(None, present=False))

    @on(ShakTree.Opened)
    def _opened(self, message: ShakTree.Opened) -> None:
        message.stop()
        self.post_message(self.HistoryAsked(message.code))

    @on(ShakTree.UnitsWanted)
    def _units_wanted(self, message: ShakTree.UnitsWanted) -> None:
        message.stop()
        self._find_units(message.code)

    @work(thread=True, exclusive=True, group="shak-units")
    @reports_errors
    def _find_units(self, code: str) -> None:
        """The one unit carrying ``code`` in the organisation tree, or the list of them to choose from."""
        with self.source.connection() as conn:
            sor_ids = queries.sor_ids_for_shak(conn, code)
        self.post_message(self.ShowUnit(sor_ids[0]) if len(sor_ids) == 1 else self.FocusUnits())

    # -- history, units ---------------------------------------------------------------------

    def action_history(self) -> None:
        code = self.current_code()
        if code is None:
            self.notify("No SHAK-kode under the cursor", severity="warning", markup=False)
            return
        self.post_message(self.HistoryAsked(code))

    def action_units(self) -> None:
        self.post_message(self.FocusUnits())

    # -- checks -----------------------------------------------------------------------------

    def action_checks(self) -> None:
        self._start_checks()
        self._show("shak-checks")
        self.query_one(ShakChecks).focus()

    def _start_checks(self) -> None:
        checks = self.query_one(ShakChecks)
        checks.clear()
        checks.root.add_leaf(Text(f"checking SOR against SHAK on {self.view.on}…", style="italic dim"))
        self.run_checks(self.view.on)

    @work(thread=True, exclusive=True, group="shak-checks")
    @reports_errors
    def run_checks(self, on: str) -> None:
        with self.source.connection() as conn:
            report = check_shak(conn, on)
        self.post_message(self.Checked(report))

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        message.stop()
        self.query_one(ShakChecks).show_report(message.report)
        total = len(message.report.findings)
        self.border_title = f"SHAK checks on {clean(message.report.on)}: {plural(total, 'finding')}"

    @on(Tree.NodeHighlighted, "#shak-checks")
    def _finding_highlighted(self, event: Tree.NodeHighlighted[Finding | str]) -> None:
        event.stop()
        if self.mode == "shak-checks":
            self.post_message(self.Highlighted(self.current_code(), self.present))

    @on(ShakChecks.Chosen)
    def _finding_chosen(self, message: ShakChecks.Chosen) -> None:
        message.stop()
        finding = message.finding
        if finding.sor_id:
            self.post_message(self.ShowUnit(finding.sor_id))
        else:
            self.show_code(finding.shak_code)
