"""Pure modelling core of the risk workbench: features, PD model, scorecard, valuation, evaluation, PSI, artifacts.

Nothing here touches the database or a web framework; every function is over pandas / numpy data.
"""
