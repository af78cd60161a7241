"""Evaluating the configurations: the estimators chained, step by step, over every candidate.

The flow (one module per step, each a small pure function over columns):

    context      scenario picks of the uncertain inputs (value / optimistic / pessimistic)
    workload     tokens per request (prompt, retrieval, cached prefix, reasoning, output)
    rows         the self-hosted candidates as columns (each read once, with its distinct values)
    step         catalog figures → the step model of a replica (parallelism, kernels, interconnect)
    fit          weights and KV cache in memory: slots per replica, or the reason it does not fit
    sizing       the cheapest (batch cap, replicas) meeting every latency limit under load
    physics      the chain above, latency under load and GPU power: serving columns and fleet
    hosting/     money and carbon per hosting type (api, cloud, on_premise): one module each
    estimate     the frozen ``Estimate`` whose fields are the configurations.csv columns

``configurations.py`` enumerates the space and assembles the table; ``self_hosted.py`` (the
physics, then each hosting type's ``bill``) and ``hosting/api.py`` chain the steps.
"""
