"""Documents the fax tests make themselves: fax TIFFs at every fax resolution, good PDFs and a corpus of bad ones."""
from __future__ import annotations

import io
import zlib

from PIL import Image, ImageDraw


def fax_tiff(pages: int = 3, dpi: tuple[int, int] = (204, 196), compression: str = "group3") -> bytes:
    """A multi-page class F TIFF: 1728 px wide, an A4 page tall at the given vertical resolution."""
    height = round(297 / 25.4 * dpi[1])
    width = 1728 if dpi[0] == 204 else round(215 / 25.4 * dpi[0])
    sheets = []
    for n in range(pages):
        sheet = Image.new("1", (width, height), 1)
        draw = ImageDraw.Draw(sheet)
        draw.rectangle((100, 100, width - 100, 300), outline=0, width=5)
        draw.text((150, 150 + n * 10), f"Seite {n + 1}", fill=0)
        sheets.append(sheet)
    out = io.BytesIO()
    sheets[0].save(out, format="TIFF", compression=compression, dpi=dpi, save_all=True, append_images=sheets[1:])
    return out.getvalue()


def letter_pdf(pages: int = 2, size=None, text: str = "Angebot") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=size or A4)
    for n in range(pages):
        c.setFont("Helvetica-Bold", 28)
        c.drawString(72, (size or A4)[1] - 120, f"{text} – Seite {n + 1}")
        c.rect(72, 72, 200, 200, fill=1)
        c.showPage()
    c.save()
    return out.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(letter_pdf(1))))
    writer.encrypt(user_password="geheim", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _raw_pdf(page_objects: list[bytes], extra: list[bytes] = (), catalog_extra: bytes = b"") -> bytes:
    """A hand-written PDF: catalog 1, pages 2, pages from 3 on, then `extra` objects; a correct xref."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>"]
    kids = " ".join(f"{3 + i} 0 R" for i in range(len(page_objects))).encode()
    objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(len(page_objects)).encode() + b" >>")
    objects += page_objects + list(extra)
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def zero_page_pdf() -> bytes:
    return _raw_pdf([])


def huge_page_pdf() -> bytes:
    """One page of 5 × 5 m (14173 pt: within the PDF limit of 14400)."""
    return _raw_pdf([b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14173 14173] >>"])


def javascript_pdf() -> bytes:
    return _raw_pdf([b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"],
                    extra=[b"<< /S /JavaScript /JS (app.alert\\('hallo'\\);) >>"], catalog_extra=b"/OpenAction 4 0 R ")


def bomb_pdf(side: int = 8000) -> bytes:
    """A page with one grey image of side × side pixels whose Flate stream is tiny (all zeros)."""
    squeeze = zlib.compressobj(9)
    row = bytes(side)
    stream = b"".join(squeeze.compress(row) for _ in range(side)) + squeeze.flush()
    image = (f"<< /Type /XObject /Subtype /Image /Width {side} /Height {side} /ColorSpace /DeviceGray "
             f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(stream)} >>\nstream\n").encode() + stream + \
        b"\nendstream"
    content = b"q 500 0 0 700 40 60 cm /Im0 Do Q"
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> >> "
            b"/Contents 5 0 R >>")
    return _raw_pdf([page], extra=[image, f"<< /Length {len(content)} >>\nstream\n".encode() + content +
                                   b"\nendstream"])


#: The corpus of bad PDFs: each must end in a clear refusal, never a crash.
BAD_PDFS = {
    "encrypted": encrypted_pdf,
    "truncated": lambda: letter_pdf(2)[:700],
    "zero_pages": zero_page_pdf,
    "over_the_page_limit": lambda: letter_pdf(6),
    "not_a_pdf": lambda: b"PK\x03\x04 a zip file named fax.pdf",
    "javascript": javascript_pdf,
    "five_by_five_metres": huge_page_pdf,
    "decompression_bomb": bomb_pdf,
}
