"""Fax pages: received TIFF to PDF (img2pdf, lossless), and an e-mailed PDF checked and rendered to fax pages
(pypdfium2 + Pillow: TIFF G3, 1728 px wide, 204×196 dpi, A4). No Ghostscript (AGPL).

`render_pdf` is what the child process of console.fax.sandbox runs: it trusts nothing in the PDF and answers with
a refusal code (REFUSALS) for every way a PDF can be unusable; the sandbox bounds its memory and time.
"""
from __future__ import annotations

import io
import re

FAX_WIDTH = 1728                 # pixels on an A4 fax line (215 mm at 204 dpi)
FAX_DPI = (204, 196)             # fine resolution
A4_HEIGHT = 2292                 # 297 mm at 196 dpi
_POINTS_WIDE = FAX_WIDTH / FAX_DPI[0] * 72    # the printable width in PDF points
_POINTS_HIGH = A4_HEIGHT / FAX_DPI[1] * 72
MAX_PAGE_POINTS = 1191 + 10      # a side longer than A3's (420 mm) is no fax page
MAX_IMAGE_PIXELS = 40_000_000    # a picture bigger than this on a page is a decompression bomb, not a letter
THRESHOLD = 160                  # grey above this is white paper

REFUSALS = ("not_pdf", "damaged", "encrypted", "no_pages", "too_many_pages", "page_size", "javascript",
            "image_too_large", "too_complex")


class Refused(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def tiff_to_pdf(tiff: bytes) -> bytes:
    """Every page of a fax TIFF (G3/G4, any fax resolution) into one PDF; the page size follows each page's own
    x and y resolution, so 204×98 pages are not squashed."""
    import img2pdf
    try:
        return img2pdf.convert(tiff, rotation=img2pdf.Rotation.ifvalid)
    except MemoryError:
        raise
    except Exception as exc:   # img2pdf and Pillow raise a dozen kinds for a damaged TIFF (tests/fuzz/test_fax.py)
        raise Refused("damaged", detail=str(exc)[:200]) from None


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a received (or converted) PDF; Refused for one pdfium cannot open, as the PDF check says."""
    document = _open(pdf)
    try:
        return len(document)
    finally:
        document.close()


def _open(data: bytes):
    import pypdfium2 as pdfium
    if not data.lstrip()[:5] == b"%PDF-":
        raise Refused("not_pdf")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise Refused("encrypted") from None
        if re.search(rb"/Type\s*/Pages\b[^>]*/Count\s+0\b", data):   # pdfium will not open an empty page tree
            raise Refused("no_pages") from None
        raise Refused("damaged") from None


def _has_javascript(data: bytes) -> bool:
    """Any script, in the open or in an object the scan can read (a fax has no use for one)."""
    return b"/JavaScript" in data or re.search(rb"/JS\b", data) is not None


def check_pdf(data: bytes, max_pages: int):
    """The opened document when it can be faxed; else Refused with a code."""
    document = _open(data)
    count = len(document)
    if count == 0:
        raise Refused("no_pages")
    if count > max_pages:
        raise Refused("too_many_pages", pages=count, limit=max_pages)
    if _has_javascript(data):
        raise Refused("javascript")
    import pypdfium2.raw as pdfium_c
    for index in range(count):
        page = document[index]
        width, height = page.get_size()
        if max(width, height) > MAX_PAGE_POINTS or min(width, height) <= 0:
            raise Refused("page_size", page=index + 1, width_mm=round(width / 72 * 25.4),
                          height_mm=round(height / 72 * 25.4))
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
            w, h = obj.get_px_size()
            if w * h > MAX_IMAGE_PIXELS:
                raise Refused("image_too_large", page=index + 1, width=w, height=h)
    return document


def _fax_page(page):
    """One PDF page as a 1-bit A4 fax page at 204×196 dpi, fitted and centred."""
    from PIL import Image
    width, height = page.get_size()
    if width > height and width > _POINTS_WIDE:   # landscape pages are turned, as a fax machine would
        page.set_rotation((page.get_rotation() + 90) % 360)
        width, height = height, width
    fit = min(_POINTS_WIDE / width, _POINTS_HIGH / height)
    # rendered at the horizontal resolution, then only the height scaled by 196/204 (a BOX filter: cheap, and
    # it averages rather than drops lines, so thin strokes survive)
    bitmap = page.render(scale=fit * FAX_DPI[0] / 72, grayscale=True, may_draw_forms=False)
    grey = bitmap.to_pil().convert("L")
    high = max(1, min(A4_HEIGHT, round(grey.height * FAX_DPI[1] / FAX_DPI[0])))
    grey = grey.crop((0, 0, min(FAX_WIDTH, grey.width), grey.height)).resize((min(FAX_WIDTH, grey.width), high),
                                                                            Image.Resampling.BOX)
    sheet = Image.new("L", (FAX_WIDTH, A4_HEIGHT), 255)
    sheet.paste(grey, ((FAX_WIDTH - grey.width) // 2, 0))
    return sheet.point(lambda v: 255 if v > THRESHOLD else 0).convert("1", dither=Image.Dither.NONE)


def render_pdf(data: bytes, max_pages: int, cover: bytes | None = None) -> tuple[bytes, int]:
    """The fax pages (multi-page TIFF G3) of a checked PDF and their count, after those of a cover page when
    given; Refused when it cannot be faxed."""
    sheets = []
    for source in ([cover] if cover else []) + [data]:
        document = check_pdf(source, max_pages)
        try:
            sheets += [_fax_page(document[i]) for i in range(len(document))]
        finally:
            document.close()
    out = io.BytesIO()
    sheets[0].save(out, format="TIFF", compression="group3", dpi=FAX_DPI, save_all=True,
                   append_images=sheets[1:])
    return out.getvalue(), len(sheets)


def _main(argv: list[str]) -> int:
    """The sandbox's child (console.fax.sandbox): render argv[0] to argv[1], at most argv[2] pages."""
    import json
    import os
    from pathlib import Path
    source, target, max_pages = Path(argv[0]), Path(argv[1]), int(argv[2])
    cover = Path(argv[3]).read_bytes() if len(argv) > 3 else None
    try:
        tiff, count = render_pdf(source.read_bytes(), max_pages, cover)
    except Refused as exc:
        print(json.dumps({"refused": exc.code, "params": exc.params}))
        return 0
    except MemoryError:
        return 3
    partial = target.with_name(target.name + ".part")
    with open(partial, "wb") as out:
        out.write(tiff)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)
    print(json.dumps({"pages": count}))
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(_main(sys.argv[1:]))
