"""ECB reference-rate stand-in: the historical file as a zip and as plain CSV.

Paths as on the ECB site: `/stats/eurofxref/eurofxref-hist.zip` (a zip holding
`eurofxref-hist.csv`) and `/stats/eurofxref/eurofxref-hist.csv`. No authentication. The zip is
built with a fixed timestamp so identical worlds give byte-identical responses.
"""

from __future__ import annotations

import io
import zipfile

from perfmkt_pipeline.platforms.ecb.spec import ZIP_PATH
from perfmkt_pipeline.platforms.ecb.standin.data import ECB_HIST_CSV_NAME
from perfmkt_pipeline.platforms.ecb.standin.sandbox import history_csv
from perfmkt_pipeline.sandbox.http_server import PlatformApp, Request, Response

CSV_PATH = "/stats/eurofxref/eurofxref-hist.csv"


class EcbApp(PlatformApp):
    platform = "ecb"

    def handle(self, request: Request) -> Response:
        kind = {ZIP_PATH: "ecb.history_zip", CSV_PATH: "ecb.history_csv"}.get(
            request.path, "ecb.unknown"
        )
        decision = self.guard(kind, None)
        if decision in ("rate_limit", "limit_exceeded"):
            return Response.text("Too Many Requests", 429)
        if decision == "server_error":
            return Response.text("Service Unavailable", self.faults.server_error_status)
        if kind == "ecb.unknown" or request.method not in ("GET", "HEAD"):
            return Response.text("Not Found", 404, "text/html")
        as_of = self.world.as_of
        csv_text = history_csv(self.world, as_of=as_of)
        if kind == "ecb.history_csv":
            return Response.text(csv_text, content_type="text/csv")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            info = zipfile.ZipInfo(
                ECB_HIST_CSV_NAME, date_time=(as_of.year, as_of.month, as_of.day, 16, 0, 0)
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, csv_text)
        return Response(200, buffer.getvalue(), {"Content-Type": "application/zip"})
