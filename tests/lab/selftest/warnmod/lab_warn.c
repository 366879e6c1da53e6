// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test (tests/lab/tests/harness-warn.sh): a module whose init
 * WARNs, to prove that a kernel warning fails a lab test.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init lab_warn_init(void)
{
	WARN(1, "lab_warn: deliberate warning from the lab harness self-test\n");
	return 0;
}

static void __exit lab_warn_exit(void)
{
}

module_init(lab_warn_init);
module_exit(lab_warn_exit);
MODULE_DESCRIPTION("pvsched lab harness self-test: WARN on load");
MODULE_LICENSE("GPL");
