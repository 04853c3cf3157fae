"""The preview: the protected (or raw) picture, scaled to fit, with optional overlays."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from privastream_desktop.regions import Region, RegionKind

_COLOURS = {RegionKind.FACE: QColor(80, 200, 255), RegionKind.PLATE: QColor(255, 200, 60)}


class PreviewWidget(QWidget):
    """Paints a BGR numpy frame without colour conversion (QImage.Format_BGR888)."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._image: np.ndarray | None = None
        self._regions: list[Region] = []
        self.banner = ""
        self.show_overlays = False
        self.placeholder = "No source running. Pick a camera or a video file and press Start."

    @property
    def image(self) -> np.ndarray | None:
        """The frame shown now (tests read it to check what a viewer would see)."""
        return self._image

    def show_frame(self, image: np.ndarray, regions: list[Region], banner: str = "") -> None:
        self._image = np.ascontiguousarray(image)
        self._regions = regions
        self.banner = banner
        self.update()

    def clear(self, text: str | None = None) -> None:
        self._image = None
        if text is not None:
            self.placeholder = text
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(24, 24, 28))
        if self._image is None:
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        h, w = self._image.shape[:2]
        qimage = QImage(self._image.data, w, h, self._image.strides[0], QImage.Format.Format_BGR888)
        scale = min(self.width() / w, self.height() / h)
        target = QRectF((self.width() - w * scale) / 2, (self.height() - h * scale) / 2, w * scale, h * scale)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, qimage)
        if self.show_overlays:
            painter.setFont(QFont(self.font().family(), 9))
            for region in self._regions:
                colour = _COLOURS.get(region.kind, QColor(255, 255, 255))
                painter.setPen(QPen(colour, 2))
                b = region.box
                rect = QRectF(target.x() + b.x1 * scale, target.y() + b.y1 * scale, b.width * scale, b.height * scale)
                painter.drawRect(rect)
                painter.drawText(
                    rect.topLeft() + QRectF(0, -4, 0, 0).topLeft(), f"{region.kind.value} {region.score:.2f}"
                )
        if self.banner:
            painter.fillRect(QRectF(0, 0, self.width(), 34), QColor(190, 30, 30, 220))
            painter.setPen(QColor(255, 255, 255))
            painter.setFont(QFont(self.font().family(), 11, QFont.Weight.Bold))
            painter.drawText(QRectF(8, 0, self.width() - 16, 34), Qt.AlignmentFlag.AlignVCenter, self.banner)
