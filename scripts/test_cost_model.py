"""Unit tests of scripts/cost_model.py's arithmetic on hand-made counts (run by scripts/test.sh)."""

import copy
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import cost_model  # noqa: E402

COUNTS = {
    "cron_run": {"worker.scheduled": 1, "d1.rows_read": 10, "d1.rows_written": 0, "r2.class_a": 1,
                 "cpu.runtime_workerd_ms": 5, "wall_seconds": 1},
    "idle_runner": {"worker.fetch": 100, "worker.fetch.runner_poll": 100, "d1.rows_read": 300,
                    "d1.rows_written": 100, "cpu.runtime_workerd_ms": 200, "wall_seconds": 100},
    "upload": {"worker.fetch": 30, "worker.fetch.runner_poll": 2, "worker.queue_invocations": 2,
               "d1.rows_read": 1006, "d1.rows_written": 202, "r2.class_a": 40, "r2.class_b": 10,
               "queue.sends": 2, "queue.messages_delivered": 2, "cpu.runtime_workerd_ms": 604,
               "input_seconds": 120, "wall_seconds": 300,
               "runner": {"user_seconds": 300, "system_seconds": 20, "wall_seconds": 200, "max_rss_kib": 2 ** 20},
               "stored_bytes": {"originals": 100e6, "hls": 100e6, "images": 0, "other": 0}},
    "view": {"worker.fetch": 40, "r2.class_b": 30, "d1.rows_read": 60, "do.rate_limiter.requests": 40,
             "do.rate_limiter.wall_ms": 80, "cpu.runtime_workerd_ms": 120, "wall_seconds": 10,
             "client": {"media_seconds": 120, "bytes": 30e6}},
}


class CostModelTest(unittest.TestCase):
    def test_unit_costs_normalise_per_minute_and_drop_the_runners_polls(self):
        units = cost_model.unit_costs(COUNTS)
        up = units["upload_minute"]
        # (30 fetches - 2 polls + 2 queue invocations) over 2 minutes.
        self.assertAlmostEqual(up["requests"], 15)
        # 1006 rows read - 2 polls x 3 rows, over 2 minutes.
        self.assertAlmostEqual(up["d1_read"], 500)
        self.assertAlmostEqual(up["cpu_ms"], (604 - 2 * 2) / 2)
        self.assertAlmostEqual(up["vcpu_s"], 160)
        self.assertAlmostEqual(up["stored_bytes"], 100e6)
        self.assertAlmostEqual(up["queue_ops"], (2 + 2 * 2) / 2)
        self.assertAlmostEqual(units["view_minute"]["egress_bytes"], 15e6)
        self.assertAlmostEqual(units["idle_runner_hour"]["polls"], 3600)

    def test_idle_bill_is_the_plan_plus_polls_beyond_the_included_requests(self):
        result = cost_model.run(COUNTS)
        idle = result["bills"]["idle"]
        requests = 730 * 3600 + 6 * 730
        self.assertAlmostEqual(idle["usage"]["requests"], requests)
        self.assertEqual(idle["dollars"]["Workers requests"], 0)  # 2.6 M < 10 M included
        self.assertAlmostEqual(idle["total"], 5.0)
        quiet = cost_model.run(COUNTS, idle_requests_per_hour=0)["bills"]["idle"]
        self.assertAlmostEqual(quiet["usage"]["requests"], 6 * 730)

    def test_busy_bill_charges_storage_and_stream_by_the_formulas(self):
        busy = cost_model.run(COUNTS)["bills"]["busy"]
        self.assertAlmostEqual(busy["usage"]["stored_gb"], 60_000 * 100e6 / 1e9)
        self.assertAlmostEqual(busy["dollars"]["R2 storage"], (6000 - 10) * 0.015)
        self.assertAlmostEqual(busy["stream"], 60 * 5 + 10_000 * 1)
        self.assertAlmostEqual(busy["usage"]["egress_tb"], 10e6 * 15e6 / 1e12)

    def test_same_counts_same_totals(self):
        first = json.dumps(cost_model.run(copy.deepcopy(COUNTS)), sort_keys=True)
        self.assertEqual(first, json.dumps(cost_model.run(copy.deepcopy(COUNTS)), sort_keys=True))


if __name__ == "__main__":
    unittest.main()
