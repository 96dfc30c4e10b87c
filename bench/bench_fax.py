"""Benchmark: the fax page pipelines against the standard tools, in the same run.

  * PDF → fax pages: console.fax.sandbox.render (pypdfium2 + Pillow in a bounded child process, TIFF G3,
    1728 px, 204×196 dpi) beside Ghostscript's tiffg3 device doing the same job:
        gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg3 -r204x196 -sPAPERSIZE=a4 -dFIXEDMEDIA -dPDFFitPage \
           -sOutputFile=out.tif in.pdf
  * TIFF → PDF: console.fax.pages.tiff_to_pdf (img2pdf as a library) beside the img2pdf CLI:
        img2pdf in.tif -o out.pdf
on a 20-page document made here; prints best-of-RUNS seconds and the ratios. Ghostscript is AGPL: installed
for the benchmark only (`make bench-deps`); without it only the console's side is timed.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from console.fax import pages, sandbox

PAGES = 20
RUNS = 3


def letter(pages_: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for n in range(pages_):
        c.setFont("Helvetica-Bold", 22)
        c.drawString(60, 780, f"Angebot 4711 – Seite {n + 1}")
        c.setFont("Helvetica", 10)
        for line in range(60):
            c.drawString(60, 740 - line * 11, f"Position {line + 1}: Telefonanlage, Lizenz, Einrichtung " * 2)
        c.rect(60, 40, 200, 20, fill=1)
        c.showPage()
    c.save()
    return out.getvalue()


def fax_tiff(pages_: int) -> bytes:
    from PIL import Image, ImageDraw
    sheets = []
    for n in range(pages_):
        sheet = Image.new("1", (1728, 2292), 1)
        draw = ImageDraw.Draw(sheet)
        for line in range(100):
            draw.text((80, 80 + line * 21), f"Zeile {line} der Seite {n + 1} " * 6, fill=0)
        sheets.append(sheet)
    out = io.BytesIO()
    sheets[0].save(out, format="TIFF", compression="group3", dpi=(204, 196), save_all=True,
                   append_images=sheets[1:])
    return out.getvalue()


def best(func) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        func()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-fax-"))
    try:
        pdf, tif = work / "in.pdf", work / "in.tif"
        pdf.write_bytes(letter(PAGES))
        tif.write_bytes(fax_tiff(PAGES))

        def ours_render():
            result = sandbox.render(pdf, work / "ours.tif", max_pages=PAGES, memory_mb=1024, seconds=300)
            assert result.pages == PAGES, result
        ours = best(ours_render)
        print(f"PDF → fax TIFF, {PAGES} pages: console {ours:.2f} s")
        gs = shutil.which("gs")
        if gs:
            theirs = best(lambda: subprocess.run(
                [gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffg3", "-r204x196", "-sPAPERSIZE=a4",
                 "-dFIXEDMEDIA", "-dPDFFitPage", f"-sOutputFile={work / 'gs.tif'}", str(pdf)], check=True))
            print(f"  Ghostscript tiffg3 {theirs:.2f} s   ratio console/gs = {ours / theirs:.2f}")
        else:
            print("  Ghostscript not installed (make bench-deps): no baseline")

        data = tif.read_bytes()
        ours = best(lambda: (work / "ours.pdf").write_bytes(pages.tiff_to_pdf(data)))
        print(f"TIFF → PDF, {PAGES} pages: console {ours:.3f} s")
        cli = shutil.which("img2pdf") or str(Path(sys.executable).with_name("img2pdf"))
        if Path(cli).exists():
            theirs = best(lambda: subprocess.run([cli, str(tif), "-o", str(work / "cli.pdf")], check=True))
            print(f"  img2pdf CLI {theirs:.3f} s   ratio console/cli = {ours / theirs:.2f}")
        else:
            print("  img2pdf CLI not found: no baseline")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
