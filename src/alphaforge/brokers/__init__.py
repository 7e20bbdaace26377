"""alphaforge.brokers: venues behind the ``Broker`` port (layer L8).

``SimulatedBroker`` (``brokers/sim.py``) fills orders from bars, quotes and trades with the models
of ``alphaforge.execution``; real venue adapters join it here later.
"""

from alphaforge.brokers.sim import FILL_MODES, FillMode, SimulatedBroker, utc_session

__all__ = ["FILL_MODES", "FillMode", "SimulatedBroker", "utc_session"]
