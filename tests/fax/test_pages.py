"""TIFF → PDF keeps every page and its aspect ratio; PDF → fax pages are 1728 px G3 at 204×196 dpi; bad PDFs are
refused with a code, in bounded memory."""
import io

import pytest
from PIL import Image
from pypdf import PdfReader

from console.fax import pages, sandbox
from tests.fax import documents


@pytest.mark.parametrize("dpi,compression", [((204, 98), "group3"), ((204, 196), "group3"), ((204, 196), "group4"),
                                             ((200, 200), "group4"), ((400, 400), "group4")])
def test_tiff_to_pdf_keeps_pages_and_the_paper_shape(dpi, compression):
    pdf = PdfReader(io.BytesIO(pages.tiff_to_pdf(documents.fax_tiff(3, dpi, compression))))
    assert len(pdf.pages) == 3
    for page in pdf.pages:
        width_mm, height_mm = (float(v) / 72 * 25.4 for v in (page.mediabox.width, page.mediabox.height))
        assert abs(height_mm / width_mm - 297 / 215) < 0.01   # an A4 fax page, not squashed to half its height
        assert page.images, "the fax page is embedded as an image"


def test_pdf_to_fax_pages_is_g3_1728_wide_at_fine_resolution(tmp_path):
    source, target = tmp_path / "in.pdf", tmp_path / "out.tif"
    source.write_bytes(documents.letter_pdf(3))
    result = sandbox.render(source, target, max_pages=10)
    assert result.refused is None and result.pages == 3
    with Image.open(target) as tiff:
        assert tiff.n_frames == 3
        for frame in range(3):
            tiff.seek(frame)
            assert tiff.size == (pages.FAX_WIDTH, pages.A4_HEIGHT)
            assert tiff.mode == "1"
            assert tiff.info["compression"] == "group3"
            assert tuple(round(v) for v in tiff.info["dpi"]) == (204, 196)
            assert 0 < tiff.convert("L").histogram()[0]   # something black was drawn


BAD = documents.BAD_PDFS
EXPECTED = {"encrypted": "encrypted", "truncated": "damaged", "zero_pages": "no_pages",
            "over_the_page_limit": "too_many_pages", "not_a_pdf": "not_pdf", "javascript": "javascript",
            "five_by_five_metres": "page_size", "decompression_bomb": "image_too_large"}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_pdfs_are_refused_with_a_reason(tmp_path, name):
    source, target = tmp_path / "in.pdf", tmp_path / "out.tif"
    source.write_bytes(BAD[name]())
    result = sandbox.render(source, target, max_pages=5, memory_mb=512, seconds=20)
    assert result.refused == EXPECTED[name]
    assert not target.exists()


def test_a_pdf_that_needs_more_memory_than_allowed_is_refused_not_fatal(tmp_path):
    """The memory limit itself: a page that needs a large bitmap in a child allowed too little."""
    source, target = tmp_path / "in.pdf", tmp_path / "out.tif"
    source.write_bytes(documents.letter_pdf(1))
    result = sandbox.render(source, target, max_pages=5, memory_mb=40, seconds=20)
    assert result.refused == "too_complex" and not target.exists()
