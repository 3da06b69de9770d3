"""Connection settings: where the NAS is, how to log in, and how far to trust the wire.

Settings are resolved from four layers, highest precedence first:

1. explicit arguments (``connect(url=..., api_key=...)``);
2. the environment: ``TRUENAS_URL`` or ``TRUENAS_HOST``, ``TRUENAS_API_KEY`` or
   ``TRUENAS_API_KEY_FILE``, ``TRUENAS_USERNAME`` + ``TRUENAS_PASSWORD``,
   ``TRUENAS_VERIFY_SSL``, ``TRUENAS_CA_FILE``;
3. a named profile (``default`` unless one is asked for) in
   ``$XDG_CONFIG_HOME/scale-pilot/config.toml`` (``~/.config/...`` when unset)::

       [profiles.lab]
       url = "nas.lab.example"          # or host = ...; any form accepted by candidate_urls()
       api_key_file = "~/.truenas-key"  # or api_key = "...", or username + password
       verify_ssl = true
       ca_file = "lab-ca.pem"           # relative to the config file

4. a ``.env`` file in the working directory (same variable names as the environment; read
   with python-dotenv without touching ``os.environ``).

The address and the credentials are each taken whole from the first layer that sets them,
so an API key from one layer is never paired with a username from another.

Credentials are bound to the address configured with them:

* they go only to an address from their own layer or from a layer that outranks them (an
  explicit ``url=`` outranks everything): a ``.env`` in the working directory cannot send
  the key from your environment or profile to another machine, and ``TRUENAS_URL`` cannot
  redirect a key passed as an argument; such a mix is refused with a ConfigError;
* credentials stored *next to* an address (a profile or ``.env`` with its own URL) are only
  used for that address's host, so overriding the URL never ships a stored key elsewhere.

``verify_ssl`` and ``ca_file`` resolve field by field.

Whatever their source, credentials then pass the transport gate
(:func:`check_transport_safety`): ``wss://``, or ``ws://`` to an address that resolves only
to loopback, unless ``allow_insecure=True``.

Secrets are held in :class:`Secret`, whose ``repr``/``str``/``format`` are masked; only
:meth:`Secret.reveal` returns the value, at the one place that sends it to the NAS.
"""

from __future__ import annotations

from scale_pilot_nb.config.address import API_PATH, LEGACY_API_PATH, candidate_urls
from scale_pilot_nb.config.files import InsecureConfigWarning, default_config_path, write_profile
from scale_pilot_nb.config.resolve import DEFAULT_PROFILE, ENV_VARIABLES, resolve_settings
from scale_pilot_nb.config.secret import Secret
from scale_pilot_nb.config.settings import ConnectionSettings, check_transport_safety

__all__ = [
    "API_PATH",
    "DEFAULT_PROFILE",
    "ENV_VARIABLES",
    "LEGACY_API_PATH",
    "ConnectionSettings",
    "InsecureConfigWarning",
    "Secret",
    "candidate_urls",
    "check_transport_safety",
    "default_config_path",
    "resolve_settings",
    "write_profile",
]
