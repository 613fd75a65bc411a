"""huiqi (惠企): Tianjin enterprise- and talent-support policies as a searchable library and as rules as code."""

__version__ = "0.1.0"
