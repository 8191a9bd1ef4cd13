"""The footer of key bindings, drawn by one widget.

Textual's `Footer` mounts a `FooterKey` widget per key (each with its styled component nodes) and
rebuilds them all on every bindings update: each focus change, and each key typed in the Builder's
identity or the Decoder's input (they refresh the bindings, because 1-4 appear or go with the
field's text). This draws the same cells itself, and takes the keys again only when the keys it
shows change.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.reactive import reactive
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget


def shown_bindings(screen: Screen) -> tuple:
    """What the footer draws from the screen's bindings: each shown key, its label, whether it is
    enabled and its tooltip, in order, and the command palette's key."""
    palette = screen.app.COMMAND_PALETTE_BINDING
    return tuple((binding.key, binding.action, binding.description, binding.key_display, binding.group,
                  enabled, tooltip)
                 for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
                 if binding.show or key == palette)


class _Key:
    """One key as drawn: the binding's key (what a click presses), its label, and its cells."""

    __slots__ = ("key", "display", "description", "enabled", "tooltip", "palette")

    def __init__(self, key: str, display: str, description: str, enabled: bool, tooltip: str,
                 palette: bool) -> None:
        self.key, self.display, self.description = key, display, description
        self.enabled, self.tooltip, self.palette = enabled, tooltip, palette


class KeysFooter(Widget, can_focus=False):
    """Mounted after the first frame, when the screen has published its bindings already: it
    asks for them itself, then follows the screen's bindings updates.

    Drawn as Textual's Footer draws its FooterKeys: each key's label (padded) in the key colours,
    its description in the description colours, a hovered key in the hover colours, a disabled one
    dim, and the command palette's key on the right after a separator. A key is pressed when the
    mouse button goes down on it, as on a FooterKey. Bindings groups are drawn as single keys
    (lkdebug binds none)."""

    # The look of Textual's Footer and FooterKey (their DEFAULT_CSS), rule for rule: the footer's
    # colours, a key's own (`--item`, or `--hover` under the mouse), then its label's or its
    # description's on top, as the FooterKey's component styles are on top of the FooterKey's.
    DEFAULT_CSS = """
    KeysFooter {
        color: $footer-foreground;
        background: $footer-background;
        dock: bottom;
        height: 1;
        & > .keys-footer--item { background: $footer-item-background; }
        & > .keys-footer--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        & > .keys-footer--disabled { text-style: dim; }
        & > .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keys-footer--separator { color: $foreground 20%; }
    }
    """
    COMPONENT_CLASSES = {"keys-footer--item", "keys-footer--hover", "keys-footer--disabled",
                         "keys-footer--key", "keys-footer--description", "keys-footer--separator"}
    ALLOW_SELECT = False

    compact: reactive[bool] = reactive(False, toggle_class="-compact")
    """Less space around the labels (as Footer's `compact`)."""
    show_command_palette: reactive[bool] = reactive(True)
    _hover: reactive[_Key | None] = reactive(None)
    # Columns of keys scrolled off on the left (the mouse wheel, when they are wider than the footer).
    _scroll: reactive[int] = reactive(0)

    _shown: tuple | None = None

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._keys: list[_Key] = []
        self._palette: _Key | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        # Footer redraws only for its own screen while the app has the focus; the keys it then
        # shows are remembered, so a later update to the same keys costs nothing.
        if not self.is_attached or screen is not self.screen or not screen.app.app_focus:
            return
        shown = shown_bindings(screen)
        if shown != self._shown:
            self._shown = shown
            self._take_keys(screen)

    def _take_keys(self, screen: Screen) -> None:
        # As Footer.compose: the first binding of each action, in order, and the palette's key.
        app = self.app
        actions: dict[str, tuple] = {}
        for _, binding, enabled, tooltip in screen.active_bindings.values():
            if binding.show:
                actions.setdefault(binding.action, (binding, enabled, tooltip))
        self._keys = [self._key(binding, enabled, tooltip, palette=False)
                      for binding, enabled, tooltip in actions.values()]
        self._palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            shown = screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
            if shown is not None:
                _, binding, enabled, _ = shown
                self._palette = self._key(binding, enabled, binding.tooltip or binding.description,
                                          palette=True)
        self._hover = None
        self.refresh()  # the same one line, whatever the keys: no layout pass

    def _key(self, binding, enabled: bool, tooltip: str, *, palette: bool) -> _Key:
        return _Key(binding.key, self.app.get_key_display(binding), binding.description, enabled,
                    tooltip, palette)

    # Layout: which cells each key takes.

    def _label(self, key: _Key) -> tuple[str, str]:
        """The key's label and description as drawn, padded as a FooterKey pads them (the
        palette's key is always compact, as its FooterKey is not bound to the footer's style)."""
        if not key.description:
            return key.display, ""
        if self.compact or key.palette:
            return key.display, " " + key.description
        return f" {key.display} ", key.description + " "

    def _spans(self) -> list[tuple[int, int, _Key]]:
        """(first, last + 1) column of each key as placed (the palette's, with its separator, first;
        then the others, scrolled by `_scroll`), not yet cut to the footer's width."""
        spans, x = [], -self._scroll
        if self._palette is not None:
            label, description = self._label(self._palette)
            width = 1 + cell_len(label) + cell_len(description) + (0 if self.compact else 1)
            # Docked right, with the footer's margin of a key in compact style (its last column
            # then shows the keys under it, as Footer's does).
            right = self.size.width - (1 if self.compact else 0)
            spans.append((right - width, right, self._palette))
        for key in self._keys:
            label, description = self._label(key)
            width = cell_len(label) + cell_len(description)
            spans.append((x, x + width, key))
            x += width + (1 if self.compact else 0)
        return spans

    def _keys_width(self) -> int:
        return sum(cell_len("".join(self._label(key))) + (1 if self.compact else 0) for key in self._keys)

    # Drawing

    def _style(self, *components: str) -> Style:
        """The Rich style of a node under this one with the components' rules, nested in order (as
        DOMNode.rich_style computes it for a FooterKey's component under the FooterKey)."""
        return self._composed(components)[0]

    def _background(self, *components: str) -> Color:
        """The background of the same node, as `_style` composes it."""
        return self._composed(components)[1]

    def _composed(self, components: tuple[str, ...]) -> tuple[Style, Color]:
        background = Color(0, 0, 0, 0)
        color = Color(255, 255, 255, 0)
        style = Style()
        opacity = 1.0
        nodes = [node.styles for node in reversed(self.ancestors_with_self)]
        for styles in nodes + [self._component_styles[name] for name in components]:
            has_rule = styles.has_rule
            opacity *= styles.opacity
            if has_rule("background"):
                text_background = background + styles.background.tint(styles.background_tint)
                background += styles.background.tint(styles.background_tint).multiply_alpha(opacity)
            else:
                text_background = background
            if has_rule("color"):
                color = styles.color
            style += styles.text_style
            if has_rule("auto_color") and styles.auto_color:
                color = text_background.get_contrast_text(color.a)
        rich = style + Style.from_color((background + color).rich_color if (background.a or color.a) else None,
                                        background.rich_color if background.a else None)
        return rich, background

    def _segments(self, key: _Key, hovered: bool) -> list[Segment]:
        item = ("keys-footer--hover" if hovered else "keys-footer--item",)
        if not key.enabled:
            item += ("keys-footer--disabled",)
        own = self._style(*item)
        label, description = self._label(key)
        segments = [Segment(label, own + self._style(*item, "keys-footer--key"))]
        if description:
            segments.append(Segment(description, own + self._style(*item, "keys-footer--description")))
        if key.palette:
            # FooterKey.-command-palette: its left border (vkey), drawn over the footer's colour,
            # on the key's own background, then its padding on the right.
            inner = Style(bgcolor=self._background(*item).rich_color)
            line = self._background() + self._component_styles["keys-footer--separator"].color
            segments.insert(0, Segment("▏", inner + Style(color=line.rich_color)))
            if not self.compact:
                segments.append(Segment(" ", inner))
        return segments

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        blank = Style(bgcolor=self.rich_style.bgcolor)
        if y > 0:
            return Strip.blank(width, blank)
        segments = []
        for key in self._keys:
            segments += self._segments(key, key is self._hover)
            if self.compact:
                segments.append(Segment(" ", blank))
        # One piece per style between the cuts below, as the compositor leaves a footer of FooterKeys.
        strip = Strip(segments).crop(self._scroll, self._scroll + width).extend_cell_length(width, blank).simplify()
        spans = self._spans()
        if self._palette is not None:
            first, last, _ = spans[0]
            palette = Strip(self._segments(self._palette, self._palette is self._hover))
            strip = Strip.join([strip.crop(0, first), palette, strip.crop(last, width)])
        # Cut where each key's FooterKey would start and end, under the palette's key too: Textual
        # cuts a line at every widget's edges, and a snapshot keeps the pieces.
        cuts = sorted({min(max(edge, 0), width) for first, last, _ in spans for edge in (first, last)} | {width})
        return Strip.join(strip.divide(cuts)).crop(0, width)

    # The mouse

    def _key_at(self, x: int, y: int) -> _Key | None:
        if y == 0:
            for first, last, key in self._spans():  # the palette's key first: it is drawn on top
                if first <= x < last and x < self.size.width:
                    return key
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self._key_at(event.x, event.y)
        if key is not self._hover:  # the pointer and tooltip of a FooterKey, only over a key
            self._hover = key
            self.styles.pointer = "default" if key is None else "pointer"
            self.tooltip = key.tooltip if key is not None and key.tooltip else None

    def on_leave(self) -> None:
        self._hover = None
        self.tooltip = None

    def on_mouse_down(self, event: events.MouseDown) -> None:
        # As a FooterKey: the key is pressed (its binding runs, as if typed), or the bell rings.
        key = self._key_at(event.x, event.y)
        if key is not None and key.enabled:
            self.app.simulate_key(key.key)
        elif key is not None:
            self.app.bell()

    def _scroll_by(self, step: float) -> bool:
        palette = self._spans()[0] if self._palette is not None else (self.size.width, 0, None)
        most = max(0, self._keys_width() - palette[0])
        scroll = min(max(0, round(self._scroll + step)), most)
        if scroll == self._scroll:
            return False
        self._scroll = scroll
        self._hover = None
        return True

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        if self._scroll_by(self.app.scroll_sensitivity_x):
            event.stop()
            event.prevent_default()

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self._scroll_by(-self.app.scroll_sensitivity_x):
            event.stop()
            event.prevent_default()
