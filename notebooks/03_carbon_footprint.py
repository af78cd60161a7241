# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Carbon footprint
#
# Projected emissions of every configuration (operational + embodied, API models through EcoLogits),
# the levers that lower them (region, low-carbon contract, batch, quantisation, smaller model), and
# what was measured: this run itself (codecarbon, offline), the client's pilot and probe when given.

# %% tags=["parameters"]
params_path = "../params/clients/example-retail.yaml"
output_dir = "../reports/.lab/example-retail"

# %%
from llmdecide import stages

footprint = stages.carbon_footprint(params_path, output_dir)

# %% [markdown]
# ## Grid intensity of the allowed regions (codecarbon's bundled data)

# %%
footprint.intensity

# %% [markdown]
# ## Projected emissions per configuration

# %%
footprint.projection

# %%
footprint.projection_chart

# %% [markdown]
# ## Levers

# %%
footprint.levers

# %%
footprint.region_chart

# %% [markdown]
# ## Measured

# %%
footprint.measured

# %% [markdown]
# ## This run's own footprint (codecarbon `OfflineEmissionsTracker`)

# %%
footprint.run_footprint
