"""winlang: campaigns as code."""

from .pyarrow_pandas import leave_pandas_to_others

__version__ = "0.1.0"

leave_pandas_to_others()  # before anything imports PyArrow: see winlang.pyarrow_pandas
