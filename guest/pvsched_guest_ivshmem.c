// SPDX-License-Identifier: GPL-2.0
/*
 * pvsched_guest transport for QEMU's ivshmem-plain device (stock QEMU,
 * region set up by "pvschedctl attach"): the region is at offset 0 of BAR2.
 *
 * BAR2 of ivshmem-plain is host RAM (a memory-backend-file shared with the
 * host), so it is mapped cacheable with memremap(MEMREMAP_WB) (on x86:
 * ioremap_cache(), as kernel/iomem.c does for non-System-RAM ranges), not
 * as MMIO: the hooks use plain loads and stores with virt_*mb() barriers.
 *
 * A device whose region does not start with PVSCHED_MAGIC belongs to some
 * other ivshmem user: probe returns -ENODEV without a message, and the
 * device is left as it was.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/slab.h>
#include "pvsched_guest.h"

struct pvg_ivshmem {
	struct pvsched_guest_region region;
	struct pci_dev *pdev;
};

static const struct pvsched_guest_transport_ops pvg_ivshmem_ops = {
	.name = "ivshmem",
};

static int pvg_ivshmem_probe(struct pci_dev *pdev,
			     const struct pci_device_id *id)
{
	const int bar = PVSCHED_IVSHMEM_BAR;
	struct pvg_ivshmem *iv;
	resource_size_t start, len;
	u32 magic;
	void *hdr;
	int ret;

	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
		return -ENODEV;
	start = pci_resource_start(pdev, bar);
	len = pci_resource_len(pdev, bar);
	if (len < sizeof(struct pvsched_region_header))
		return -ENODEV;

	ret = pci_enable_device_mem(pdev);
	if (ret)
		return ret;
	/* look at the magic before claiming anything */
	hdr = memremap(start, sizeof(struct pvsched_region_header),
		       MEMREMAP_WB);
	if (!hdr) {
		ret = -ENOMEM;
		goto err_disable;
	}
	magic = READ_ONCE(((struct pvsched_region_header *)hdr)->magic);
	memunmap(hdr);
	if (magic != PVSCHED_MAGIC) {
		dev_dbg(&pdev->dev, "ivshmem region is not a pvsched one\n");
		ret = -ENODEV;
		goto err_disable;
	}

	iv = kzalloc(sizeof(*iv), GFP_KERNEL);
	if (!iv) {
		ret = -ENOMEM;
		goto err_disable;
	}
	ret = pci_request_region(pdev, bar, KBUILD_MODNAME);
	if (ret)
		goto err_free;
	iv->pdev = pdev;
	iv->region.ops = &pvg_ivshmem_ops;
	iv->region.dev = &pdev->dev;
	iv->region.size = len;
	iv->region.hdr = memremap(start, len, MEMREMAP_WB);
	if (!iv->region.hdr) {
		dev_err(&pdev->dev, "cannot map BAR%d (%pa, %pa bytes)\n", bar,
			&start, &len);
		ret = -ENOMEM;
		goto err_release;
	}
	ret = pvsched_guest_attach(&iv->region);
	if (ret) {
		/* refusals printed their one message; keep probe quiet */
		if (ret == -EINVAL || ret == -EBUSY)
			ret = -ENODEV;
		goto err_unmap;
	}
	pci_set_drvdata(pdev, iv);
	return 0;

err_unmap:
	memunmap(iv->region.hdr);
err_release:
	pci_release_region(pdev, bar);
err_free:
	kfree(iv);
err_disable:
	pci_disable_device(pdev);
	return ret;
}

static void pvg_ivshmem_remove(struct pci_dev *pdev)
{
	struct pvg_ivshmem *iv = pci_get_drvdata(pdev);

	pvsched_guest_detach(&iv->region);
	memunmap(iv->region.hdr);
	pci_release_region(pdev, PVSCHED_IVSHMEM_BAR);
	pci_disable_device(pdev);
	kfree(iv);
}

static const struct pci_device_id pvg_ivshmem_ids[] = {
	{ PCI_DEVICE(PVSCHED_IVSHMEM_VENDOR_ID, PVSCHED_IVSHMEM_DEVICE_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, pvg_ivshmem_ids);

static struct pci_driver pvg_ivshmem_driver = {
	.name = "pvsched_guest",
	.id_table = pvg_ivshmem_ids,
	.probe = pvg_ivshmem_probe,
	.remove = pvg_ivshmem_remove,
};

int pvsched_ivshmem_init(void)
{
	return pci_register_driver(&pvg_ivshmem_driver);
}

void pvsched_ivshmem_exit(void)
{
	pci_unregister_driver(&pvg_ivshmem_driver);
}
