// SPDX-License-Identifier: GPL-2.0
/*
 * nicsim: a simulated SmartNIC for nvmet_offload, in the spirit of
 * netdevsim. Devices live on a bus of their own and are made and removed
 * from sysfs:
 *
 *   echo "ID NR_ENGINES [CPULIST]" > /sys/bus/nicsim/new_device
 *   echo ID > /sys/bus/nicsim/del_device
 *
 * This file holds the module, the bus and those two controls; dev.c the
 * device, engine.c its data path, fault.c its fault injection.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "../compat.h"
#include "nicsim.h"

struct dentry *nicsim_debugfs_root;

/* nicsim_devs_lock serialises new_device, del_device and module exit. */
static DEFINE_MUTEX(nicsim_devs_lock);
static LIST_HEAD(nicsim_devs);
/* Off while the module goes away: a late new_device must not add one. */
static bool nicsim_bus_enabled;

static struct nicsim_dev *nicsim_find(u32 id)
{
	struct nicsim_dev *ndev;

	list_for_each_entry(ndev, &nicsim_devs, entry)
		if (ndev->id == id)
			return ndev;
	return NULL;
}

/* Copy a sysfs write into a NUL-terminated, trimmed string. */
static char *nicsim_input(const char *buf, size_t count)
{
	char *s = kstrndup(buf, min_t(size_t, count, 256), GFP_KERNEL);

	if (s)
		strim(s);
	return s;
}

static int nicsim_parse_new(char *s, u32 *id, unsigned int *nr_engines,
			    struct cpumask *cpus)
{
	char *tok_id, *tok_nr, *rest;

	tok_id = strsep(&s, " \t");
	rest = s ? skip_spaces(s) : NULL;
	tok_nr = rest ? strsep(&rest, " \t") : NULL;
	rest = rest ? skip_spaces(rest) : NULL;

	if (!tok_id || !tok_nr || kstrtou32(tok_id, 10, id) ||
	    kstrtouint(tok_nr, 10, nr_engines)) {
		pr_err("new_device: expected \"ID NR_ENGINES [CPULIST]\"\n");
		return -EINVAL;
	}
	if (*id > INT_MAX) {
		pr_err("new_device: ID %u out of range\n", *id);
		return -EINVAL;
	}
	if (!*nr_engines || *nr_engines > NICSIM_MAX_ENGINES) {
		pr_err("new_device: NR_ENGINES must be 1..%d\n",
		       NICSIM_MAX_ENGINES);
		return -EINVAL;
	}
	if (rest && *rest) {
		if (cpulist_parse(rest, cpus)) {
			pr_err("new_device: bad CPULIST \"%s\"\n", rest);
			return -EINVAL;
		}
		cpumask_and(cpus, cpus, cpu_online_mask);
		if (cpumask_empty(cpus)) {
			pr_err("new_device: CPULIST \"%s\" has no online CPU\n",
			       rest);
			return -EINVAL;
		}
	} else {
		cpumask_copy(cpus, cpu_online_mask);
	}
	return 0;
}

static ssize_t nicsim_new_device(const char *buf, size_t count)
{
	struct nicsim_dev *ndev;
	unsigned int nr_engines;
	cpumask_var_t cpus;
	char *s;
	u32 id;
	int ret;

	if (!zalloc_cpumask_var(&cpus, GFP_KERNEL))
		return -ENOMEM;
	s = nicsim_input(buf, count);
	if (!s) {
		ret = -ENOMEM;
		goto out_mask;
	}
	ret = nicsim_parse_new(s, &id, &nr_engines, cpus);
	if (ret)
		goto out;

	mutex_lock(&nicsim_devs_lock);
	if (!nicsim_bus_enabled) {
		ret = -ENODEV;
	} else if (nicsim_find(id)) {
		pr_err("new_device: nicsim%u exists\n", id);
		ret = -EEXIST;
	} else {
		ndev = nicsim_dev_create(id, nr_engines, cpus);
		if (IS_ERR(ndev))
			ret = PTR_ERR(ndev);
		else
			list_add_tail(&ndev->entry, &nicsim_devs);
	}
	mutex_unlock(&nicsim_devs_lock);
out:
	kfree(s);
out_mask:
	free_cpumask_var(cpus);
	return ret ? ret : count;
}

static ssize_t nicsim_del_device(const char *buf, size_t count)
{
	struct nicsim_dev *ndev;
	char *s;
	u32 id;
	int ret = 0;

	s = nicsim_input(buf, count);
	if (!s)
		return -ENOMEM;
	if (kstrtou32(s, 10, &id)) {
		pr_err("del_device: expected \"ID\"\n");
		kfree(s);
		return -EINVAL;
	}
	kfree(s);

	/*
	 * Held across the removal, which waits for the shim to reclaim the
	 * device's queues: a new device with the same ID must not appear
	 * while the old one's sysfs and debugfs names still exist.
	 */
	mutex_lock(&nicsim_devs_lock);
	ndev = nicsim_find(id);
	if (ndev) {
		list_del(&ndev->entry);
		nicsim_dev_destroy(ndev);
	} else {
		pr_err("del_device: no device nicsim%u\n", id);
		ret = -ENOENT;
	}
	mutex_unlock(&nicsim_devs_lock);
	return ret ? ret : count;
}

/*
 * Bus attribute callbacks take a const struct bus_type * since 6.3. Pick
 * the matching signature at compile time (kmod/compat.h owns version
 * checks; this needs none) from the type of the store member.
 */
static ssize_t __maybe_unused
new_device_store_const(const struct bus_type *bus, const char *buf,
		       size_t count)
{
	return nicsim_new_device(buf, count);
}

static ssize_t __maybe_unused
new_device_store_mut(struct bus_type *bus, const char *buf, size_t count)
{
	return nicsim_new_device(buf, count);
}

static ssize_t __maybe_unused
del_device_store_const(const struct bus_type *bus, const char *buf,
		       size_t count)
{
	return nicsim_del_device(buf, count);
}

static ssize_t __maybe_unused
del_device_store_mut(struct bus_type *bus, const char *buf, size_t count)
{
	return nicsim_del_device(buf, count);
}

#define NICSIM_BUS_STORE(name)						\
	__builtin_choose_expr(__same_type(((struct bus_attribute *)NULL)->store, \
					  &name##_store_const),		\
			      name##_store_const, name##_store_mut)

static struct bus_attribute nicsim_attr_new_device = {
	.attr	= { .name = "new_device", .mode = 0200 },
	.store	= NICSIM_BUS_STORE(new_device),
};

static struct bus_attribute nicsim_attr_del_device = {
	.attr	= { .name = "del_device", .mode = 0200 },
	.store	= NICSIM_BUS_STORE(del_device),
};

static struct attribute *nicsim_bus_attrs[] = {
	&nicsim_attr_new_device.attr,
	&nicsim_attr_del_device.attr,
	NULL,
};
ATTRIBUTE_GROUPS(nicsim_bus);

struct bus_type nicsim_bus = {
	.name		= "nicsim",
	.dev_name	= "nicsim",
	.bus_groups	= nicsim_bus_groups,
};

static int __init nicsim_init(void)
{
	int ret;

	nicsim_debugfs_root = debugfs_create_dir("nicsim", NULL);
	ret = bus_register(&nicsim_bus);
	if (ret) {
		debugfs_remove_recursive(nicsim_debugfs_root);
		return ret;
	}
	mutex_lock(&nicsim_devs_lock);
	nicsim_bus_enabled = true;
	mutex_unlock(&nicsim_devs_lock);
	return 0;
}

static void __exit nicsim_exit(void)
{
	struct nicsim_dev *ndev, *tmp;

	mutex_lock(&nicsim_devs_lock);
	nicsim_bus_enabled = false;
	list_for_each_entry_safe(ndev, tmp, &nicsim_devs, entry) {
		list_del(&ndev->entry);
		nicsim_dev_destroy(ndev);
	}
	mutex_unlock(&nicsim_devs_lock);
	bus_unregister(&nicsim_bus);
	debugfs_remove_recursive(nicsim_debugfs_root);
}

module_init(nicsim_init);
module_exit(nicsim_exit);

MODULE_DESCRIPTION("Simulated SmartNIC for nvmet_offload NVMe/TCP queue offload");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(NVO_NS);
