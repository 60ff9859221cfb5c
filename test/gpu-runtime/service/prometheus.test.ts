import { describe, expect, it } from "vitest";
import { Counter, Gauge, Histogram, Registry } from "../../../gpu-runtime/service/prometheus.ts";

describe("Prometheus text exposition", () => {
  it("renders counters with labels, gauges and cumulative histograms", () => {
    const r = new Registry();
    const c = r.add(new Counter("x_total", "Things."));
    c.inc({ code: 'a"b' });
    c.inc({ code: 'a"b' }, 2);
    r.add(new Gauge("depth", "Depth.", () => 3));
    const h = r.add(new Histogram("t_seconds", "Time.", [0.1, 1]));
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    expect(r.render()).toBe(
      [
        "# HELP x_total Things.",
        "# TYPE x_total counter",
        'x_total{code="a\\"b"} 3',
        "# HELP depth Depth.",
        "# TYPE depth gauge",
        "depth 3",
        "# HELP t_seconds Time.",
        "# TYPE t_seconds histogram",
        't_seconds_bucket{le="0.1"} 1',
        't_seconds_bucket{le="1"} 2',
        't_seconds_bucket{le="+Inf"} 3',
        "t_seconds_sum 5.55",
        "t_seconds_count 3",
        "",
      ].join("\n"),
    );
  });

  it("shows an untouched counter as 0", () => {
    expect(new Counter("n_total", "N.").render()).toContain("n_total 0\n");
  });
});
