"""The month's licence curve per item as server-rendered SVG, the peak marked."""
from __future__ import annotations

from markupsafe import Markup, escape

from console.billing.peaks import MonthCurve

WIDTH, HEIGHT, PAD = 640, 160, 28


def curve_svg(month: MonthCurve, item: str, title: str, peak_label: str) -> Markup:
    span = (month.end - month.start).total_seconds()
    top = max(1, month.peaks[item])

    def x(at) -> float:
        return PAD + (WIDTH - 2 * PAD) * (at - month.start).total_seconds() / span

    def y(n: int) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * n / top

    path, previous = [], None
    for point in month.points:
        n = point.counts[item]
        if previous is not None:
            path.append(f"L{x(point.at):.1f},{y(previous):.1f}")
        path.append(f"{'M' if previous is None else 'L'}{x(point.at):.1f},{y(n):.1f}")
        previous = n
    path.append(f"L{WIDTH - PAD:.1f},{y(previous):.1f}")
    peak = month.peak_point(item)
    return Markup(
        f'<svg class="licence-curve" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f'<title>{escape(title)}</title>'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="currentColor" '
        f'stroke-opacity="0.4"/>'
        f'<path d="{" ".join(path)}" fill="none" stroke="currentColor" stroke-width="2"/>'
        f'<circle class="peak" cx="{x(peak.at):.1f}" cy="{y(month.peaks[item]):.1f}" r="5" fill="#c0392b"/>'
        f'<text x="{min(x(peak.at) + 8, WIDTH - 4 * PAD):.1f}" y="{max(y(month.peaks[item]) - 6, 12):.1f}" '
        f'font-size="12">{escape(peak_label)}</text></svg>')
