"""Files the API answers for saving: their media types and the header that names them."""

from urllib.parse import quote

from fastapi.responses import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def attachment(name: str) -> dict[str, str]:
    """The header that has the browser save the answer as `name`: RFC 6266's `filename*`,
    so a Chinese name arrives intact."""
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


def download(body: bytes, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type, headers=attachment(name))
