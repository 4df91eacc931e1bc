"""SCSONet for LesionDesk: network, data, training, fine-tuning, ONNX export."""

from .network import SCSONet, count_parameters

__all__ = ["SCSONet", "count_parameters"]
__version__ = "1.0.0"
