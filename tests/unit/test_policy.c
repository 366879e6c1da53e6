// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the pvsched policy core (host/pvsched_policy.c, compiled
 * unchanged in userspace).  A fake clock is passed to every event; guest
 * areas are plain structs the tests write like a guest would.
 */
#include <string.h>
#include <stdint.h>
#include "pvsched_policy.h"
#include "ut.h"

int ut_group_failed;
int ut_failed_groups;

#define MS 1000000ULL
#define NORMAL PVSCHED_SCHED_NORMAL
#define FIFO PVSCHED_SCHED_FIFO
#define RR PVSCHED_SCHED_RR
#define BATCH PVSCHED_SCHED_BATCH
#define IDLE PVSCHED_SCHED_IDLE
#define DEADLINE PVSCHED_SCHED_DEADLINE

/* --- test hook: the read barrier of the guest-area reader ----------------- */

static struct pvsched_guest_area *tear_area;
static int tear_left; /* attempts still to tear */
static int tear_count;

/* The reader has two barriers per attempt: tear after the second one. */
void pvsched_test_rmb(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (tear_area && ++tear_count % 2 == 0 && tear_left > 0) {
		tear_area->seq += 2;
		tear_left--;
	}
}

static void tear(struct pvsched_guest_area *ga, int attempts)
{
	tear_area = ga;
	tear_count = 0;
	tear_left = attempts;
}

/* --- helpers ---------------------------------------------------------------- */

static struct pvsched_policy_limits def_limits(void)
{
	struct pvsched_policy_limits l = {
		.max_policy = FIFO,
		.max_rt_prio = 50,
		.min_nice = -10,
		.max_boost_cap_ns = 100 * MS,
		.min_throttle_ns = 1 * MS,
		.cs = { RR, 0, 8 },
		.intr = { RR, 0, 8 },
		.max_boost_ns = 20 * MS,
		.throttle_ns = 10 * MS,
	};
	return l;
}

static void guest_set(struct pvsched_guest_area *ga, uint32_t flags,
		      uint32_t policy, int32_t nice, uint32_t prio)
{
	ga->seq++;
	ga->flags = flags;
	ga->sched_policy = policy;
	ga->sched_nice = nice;
	ga->rt_prio = prio;
	ga->seq++;
}

static int attr_is(const struct pvsched_attr *a, uint32_t pol, int32_t nice,
		   uint32_t prio)
{
	if (a->policy == pol && a->nice == nice && a->rt_prio == prio)
		return 1;
	fprintf(stderr, "  attr {%u,%d,%u} != {%u,%d,%u}\n", a->policy,
		a->nice, a->rt_prio, pol, nice, prio);
	return 0;
}

/* --- attribute ordering ----------------------------------------------------- */

static void t_cmp(void)
{
	static const struct {
		struct pvsched_attr a, b;
		int want;
	} c[] = {
		{ { RR, 0, 1 }, { NORMAL, -20, 0 }, 1 }, /* RT beats nice */
		{ { NORMAL, -20, 0 }, { FIFO, 0, 1 }, -1 },
		{ { FIFO, 0, 10 }, { FIFO, 0, 20 }, -1 }, /* higher prio */
		{ { RR, 0, 30 }, { FIFO, 0, 20 }, 1 },
		{ { FIFO, 0, 8 }, { RR, 0, 8 }, 1 }, /* FIFO > RR at equal */
		{ { RR, 0, 8 }, { FIFO, 0, 8 }, -1 },
		{ { RR, 0, 8 }, { RR, 5, 8 }, 0 }, /* nice ignored for RT */
		{ { NORMAL, -5, 0 }, { NORMAL, 0, 0 }, 1 }, /* lower nice */
		{ { NORMAL, 5, 0 }, { NORMAL, 0, 0 }, -1 },
		{ { NORMAL, 0, 0 }, { BATCH, 0, 0 }, 0 },
		{ { IDLE, 0, 0 }, { NORMAL, 19, 0 }, -1 },
		{ { IDLE, 0, 0 }, { IDLE, 5, 0 }, 0 },
		{ { DEADLINE, 0, 0 }, { FIFO, 0, 99 }, 1 },
		{ { 42, 0, 0 }, { NORMAL, 0, 0 }, 0 }, /* unknown: fair */
	};
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int r = pvsched_attr_cmp(&c[i].a, &c[i].b);

		if (r != c[i].want)
			fprintf(stderr, "  case %u\n", i);
		UT_EQ(r, c[i].want);
	}
	UT_CHECK(pvsched_attr_eq(&c[0].a, &c[0].a));
	UT_CHECK(!pvsched_attr_eq(&c[6].a, &c[6].b));
}

/* --- translation of guest requests ----------------------------------------- */

static void t_translate(void)
{
	static const struct {
		struct pvsched_guest_snap s;
		uint32_t max_policy, max_prio;
		int32_t min_nice;
		struct pvsched_attr want;
		uint32_t res;
	} c[] = {
		/* asks for nothing */
		{ { 0, NORMAL, 0, 0, 0 }, FIFO, 50, -10, { NORMAL, 0, 0 }, 0 },
		/* fair policies, nice clamps */
		{ { 0, NORMAL, -5, 0, 0 }, FIFO, 50, -10, { NORMAL, -5, 0 }, 0 },
		{ { 0, NORMAL, -15, 0, 0 }, FIFO, 50, -10, { NORMAL, -10, 0 },
		  PVSCHED_XLATE_CLAMPED },
		{ { 0, NORMAL, -2147483647 - 1, 0, 0 }, FIFO, 50, -20,
		  { NORMAL, -20, 0 }, PVSCHED_XLATE_CLAMPED },
		{ { 0, NORMAL, 2147483647, 0, 0 }, FIFO, 50, -20,
		  { NORMAL, 19, 0 }, PVSCHED_XLATE_CLAMPED },
		{ { 0, BATCH, 3, 0, 0 }, FIFO, 50, -10, { NORMAL, 3, 0 }, 0 },
		{ { 0, IDLE, 0, 0, 0 }, FIFO, 50, -10, { NORMAL, 0, 0 }, 0 },
		/* RT: clamp to [1, 99] then the caps */
		{ { 0, FIFO, 0, 20, 0 }, FIFO, 50, -10, { FIFO, 0, 20 }, 0 },
		{ { 0, RR, 0, 20, 0 }, FIFO, 50, -10, { RR, 0, 20 }, 0 },
		{ { 0, FIFO, 0, 0, 0 }, FIFO, 50, -10, { FIFO, 0, 1 },
		  PVSCHED_XLATE_CLAMPED },
		{ { 0, FIFO, 0, 0xffffffffu, 0 }, FIFO, 50, -10, { FIFO, 0, 50 },
		  PVSCHED_XLATE_CLAMPED }, /* "negative" rt_prio */
		{ { 0, FIFO, 0, 99, 0 }, FIFO, 98, -10, { FIFO, 0, 98 },
		  PVSCHED_XLATE_CLAMPED },
		{ { 0, FIFO, 0, 20, 0 }, RR, 50, -10, { RR, 0, 20 },
		  PVSCHED_XLATE_CLAMPED },
		{ { 0, RR, 0, 20, 0 }, RR, 50, -10, { RR, 0, 20 }, 0 },
		{ { 0, FIFO, 0, 20, 0 }, NORMAL, 50, -10, { NORMAL, -10, 0 },
		  PVSCHED_XLATE_CLAMPED },
		{ { 0, RR, 0, 20, 0 }, 77, 50, -10, { NORMAL, -10, 0 },
		  PVSCHED_XLATE_CLAMPED }, /* unknown max_policy: fair only */
		/* insane caps are sanitised */
		{ { 0, FIFO, 0, 99, 0 }, FIFO, 0, -10, { FIFO, 0, 1 },
		  PVSCHED_XLATE_CLAMPED },
		{ { 0, FIFO, 0, 99, 0 }, FIFO, 1000, -10, { FIFO, 0, 98 },
		  PVSCHED_XLATE_CLAMPED },
		{ { 0, NORMAL, -20, 0, 0 }, FIFO, 50, -100, { NORMAL, -20, 0 }, 0 },
		{ { 0, NORMAL, -20, 0, 0 }, FIFO, 50, 100, { NORMAL, 19, 0 },
		  PVSCHED_XLATE_CLAMPED },
		/* refused and invalid */
		{ { 0, DEADLINE, -20, 50, 0 }, FIFO, 50, -10, { NORMAL, 0, 0 },
		  PVSCHED_XLATE_REFUSED },
		{ { 0, 4, -20, 50, 0 }, FIFO, 50, -10, { NORMAL, 0, 0 },
		  PVSCHED_XLATE_INVALID },
		{ { 0, 7, -20, 50, 0 }, FIFO, 50, -10, { NORMAL, 0, 0 },
		  PVSCHED_XLATE_INVALID },
		{ { 0, 0xffffffffu, -20, 50, 0 }, FIFO, 50, -10, { NORMAL, 0, 0 },
		  PVSCHED_XLATE_INVALID },
	};
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct pvsched_policy_limits l = def_limits();
		struct pvsched_attr out;
		uint32_t res;

		l.max_policy = c[i].max_policy;
		l.max_rt_prio = c[i].max_prio;
		l.min_nice = c[i].min_nice;
		res = pvsched_policy_translate(&c[i].s, &l, &out);
		if (res != c[i].res ||
		    !attr_is(&out, c[i].want.policy, c[i].want.nice,
			     c[i].want.rt_prio)) {
			fprintf(stderr, "  translate case %u\n", i);
			ut_group_failed = 1;
		}
	}
}

static void t_boost_attr(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr p, out;

	p = (struct pvsched_attr){ RR, 0, 8 };
	pvsched_policy_boost_attr(&p, &l, &out);
	UT_CHECK(attr_is(&out, RR, 0, 8));
	l.max_rt_prio = 5; /* a cap lowered after SET_PARAMS wins */
	pvsched_policy_boost_attr(&p, &l, &out);
	UT_CHECK(attr_is(&out, RR, 0, 5));
	p = (struct pvsched_attr){ NORMAL, -5, 0 };
	pvsched_policy_boost_attr(&p, &l, &out);
	UT_CHECK(attr_is(&out, NORMAL, -5, 0));
	p = (struct pvsched_attr){ DEADLINE, 0, 8 }; /* corrupt params */
	pvsched_policy_boost_attr(&p, &l, &out);
	UT_CHECK(attr_is(&out, NORMAL, 0, 0));
}

/* SET_PARAMS' -EINVAL: the malformed boost attributes. */
static void t_attr_valid(void)
{
	static const struct {
		struct pvsched_attr a;
		int valid;
	} c[] = {
		{ { RR, 0, 8 }, 1 },
		{ { FIFO, 0, 1 }, 1 },
		{ { FIFO, 0, 99 }, 1 }, /* the caps, not this, refuse 99 */
		{ { NORMAL, -20, 0 }, 1 },
		{ { NORMAL, 19, 0 }, 1 },
		{ { RR, -20, 8 }, 1 }, /* nice is checked, not used, for RT */
		{ { RR, 0, 0 }, 0 }, /* RT priority 1..99 */
		{ { FIFO, 0, 100 }, 0 },
		{ { RR, 0, 0xffffffffu }, 0 },
		{ { NORMAL, 0, 1 }, 0 }, /* no RT priority with NORMAL */
		{ { NORMAL, -21, 0 }, 0 }, /* nice -20..19 */
		{ { NORMAL, 20, 0 }, 0 },
		{ { RR, 20, 8 }, 0 },
		{ { BATCH, 0, 0 }, 0 }, /* boost policies: NORMAL, RR, FIFO */
		{ { IDLE, 0, 0 }, 0 },
		{ { DEADLINE, 0, 0 }, 0 },
		{ { 42, 0, 0 }, 0 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (pvsched_attr_valid(&c[i].a) != c[i].valid)
			fprintf(stderr, "  case %u\n", i);
		UT_EQ(pvsched_attr_valid(&c[i].a), c[i].valid);
	}
	UT_EQ(pvsched_policy_rank(NORMAL), 0);
	UT_EQ(pvsched_policy_rank(RR), 1);
	UT_EQ(pvsched_policy_rank(FIFO), 2);
	UT_EQ(pvsched_policy_rank(BATCH), -1);
	UT_EQ(pvsched_policy_rank(DEADLINE), -1);
}

static void t_limits(void)
{
	struct pvsched_policy_limits l = def_limits();

	UT_EQU(pvsched_policy_max_boost_ns(&l), 20 * MS);
	UT_EQU(pvsched_policy_throttle_ns(&l), 10 * MS);
	l.max_boost_ns = 0;
	l.throttle_ns = 0;
	UT_EQU(pvsched_policy_max_boost_ns(&l), PVSCHED_DEFAULT_MAX_BOOST_NS);
	UT_EQU(pvsched_policy_throttle_ns(&l), PVSCHED_DEFAULT_THROTTLE_NS);
	l.max_boost_ns = 500 * MS; /* above the admin cap */
	l.throttle_ns = 1000; /* below the admin floor */
	UT_EQU(pvsched_policy_max_boost_ns(&l), 100 * MS);
	UT_EQU(pvsched_policy_throttle_ns(&l), 1 * MS);
	l.max_boost_cap_ns = 0; /* no cap */
	UT_EQU(pvsched_policy_max_boost_ns(&l), 500 * MS);
}

/* --- the sequence-counter protocols ----------------------------------------- */

static void t_guest_read(void)
{
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_guest_snap s = { 0xdead, 0, 0, 0, 0 };

	guest_set(&ga, PVSCHED_CS_HARDIRQ, FIFO, -3, 42);
	UT_CHECK(pvsched_guest_read(&ga, &s, 4));
	UT_EQ(s.flags, PVSCHED_CS_HARDIRQ);
	UT_EQ(s.policy, FIFO);
	UT_EQ(s.nice, -3);
	UT_EQ(s.rt_prio, 42);

	/* odd forever: gives up, snapshot untouched */
	ga.seq++;
	s.flags = 0xdead;
	UT_CHECK(!pvsched_guest_read(&ga, &s, 4));
	UT_EQ(s.flags, 0xdead);
	ga.seq++;

	/* no retries allowed */
	UT_CHECK(!pvsched_guest_read(&ga, &s, 0));

	/* changes under the reader every time: torn */
	tear(&ga, 100);
	UT_CHECK(!pvsched_guest_read(&ga, &s, 4));
	UT_EQ(s.flags, 0xdead);
	/* changes once, the retry succeeds */
	tear(&ga, 1);
	UT_CHECK(pvsched_guest_read(&ga, &s, 4));
	UT_EQ(s.flags, PVSCHED_CS_HARDIRQ);
	tear(NULL, 0);
}

static void t_torn_once(void)
{
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_guest_snap s = { 0 };

	guest_set(&ga, PVSCHED_CS_SOFTIRQ, NORMAL, -1, 0);
	tear(&ga, 1);
	/* with 1 attempt, the torn first attempt is all there is */
	UT_CHECK(!pvsched_guest_read(&ga, &s, 1));
	tear(NULL, 0);
	UT_CHECK(pvsched_guest_read(&ga, &s, 1));
	UT_EQ(s.flags, PVSCHED_CS_SOFTIRQ);
	UT_EQ(s.nice, -1);
}

static void t_publish(void)
{
	struct pvsched_vcpu_slot slot = { 0 };
	struct pvsched_host_area *ha = &slot.host;
	struct pvsched_policy p;
	struct pvsched_attr base = { NORMAL, 0, 0 };

	pvsched_policy_init(&p, &base, 0);
	p.cur = (struct pvsched_attr){ RR, 0, 8 };
	p.status = PVSCHED_VCPU_STATUS_VMENTERED |
		   PVSCHED_VCPU_STATUS_INTR_INJECTED;
	pvsched_host_publish(&slot, &p);
	UT_EQ(ha->seq, 2);
	UT_EQ(ha->vcpu_status, 0xF1);
	UT_EQ(ha->sched_policy, RR);
	UT_EQ(ha->rt_prio, 8);
	UT_EQ(ha->throttled, 0);
	UT_EQ(slot.host_boost, 0); /* state idle: not boosted */
	p.state = PVSCHED_STATE_BOOSTED;
	p.reason = PVSCHED_REASON_INTR;
	pvsched_host_publish(&slot, &p);
	UT_EQ(slot.host_boost, PVSCHED_HOST_BOOSTED |
				       PVSCHED_REASON_INTR
					       << PVSCHED_HOST_REASON_SHIFT);
	ha->seq = 7; /* scribbled odd */
	p.state = PVSCHED_STATE_THROTTLED;
	pvsched_host_publish(&slot, &p);
	UT_EQ(ha->seq & 1, 0);
	UT_CHECK(ha->seq > 7);
	UT_EQ(ha->throttled, 1);
	UT_EQ(slot.host_boost, PVSCHED_HOST_THROTTLED);
	/* a base above the boosts (RT) is still "not boosted" */
	base = (struct pvsched_attr){ FIFO, 0, 30 };
	pvsched_policy_init(&p, &base, 0);
	pvsched_host_publish(&slot, &p);
	UT_EQ(ha->sched_policy, FIFO);
	UT_EQ(slot.host_boost, 0);
}

/* A vCPU leaving its session says "at base", whatever it was. */
static void t_publish_stopped(void)
{
	struct pvsched_vcpu_slot slot = { 0 };
	struct pvsched_host_area *ha = &slot.host;
	struct pvsched_policy p;
	struct pvsched_attr base = { NORMAL, -3, 0 };
	u32 seq;

	pvsched_policy_init(&p, &base, 0);
	p.cur = (struct pvsched_attr){ RR, 0, 8 };
	p.state = PVSCHED_STATE_BOOSTED;
	p.reason = PVSCHED_REASON_CRIT_SECTION;
	p.status = PVSCHED_VCPU_STATUS_VMENTERED;
	pvsched_host_publish(&slot, &p);
	UT_CHECK(slot.host_boost & PVSCHED_HOST_BOOSTED);
	seq = ha->seq;
	pvsched_host_publish_stopped(&slot, &p);
	UT_EQ(slot.host_boost, 0);
	UT_EQ(ha->vcpu_status, 0);
	UT_EQ(ha->sched_policy, NORMAL);
	UT_EQ(ha->sched_nice, -3);
	UT_EQ(ha->rt_prio, 0);
	UT_EQ(ha->throttled, 0);
	UT_EQ(ha->seq, seq + 2);
	/* throttled before: not throttled after */
	p.state = PVSCHED_STATE_THROTTLED;
	pvsched_host_publish(&slot, &p);
	UT_EQ(ha->throttled, 1);
	pvsched_host_publish_stopped(&slot, &p);
	UT_EQ(ha->throttled, 0);
	UT_EQ(slot.host_boost, 0);
	UT_EQ(ha->seq & 1, 0);
}

/* --- event sequences (table-driven) ------------------------------------------ */

#define EXIT_ PVSCHED_POL_VMEXIT
#define ENTER PVSCHED_POL_VMENTER
#define HALT PVSCHED_POL_HALT
#define INJ PVSCHED_POL_INJECT
#define WAKE PVSCHED_POL_WAKEUP
#define TIMER PVSCHED_POL_TIMER
#define KICK PVSCHED_POL_KICK
#define KICKR PVSCHED_POL_KICK_RUNNING
#define POSTED PVSCHED_POL_POSTED
#define KACC PVSCHED_POL_KICK_ACCEPT
#define DLINE PVSCHED_POL_DEADLINE
#define TDUE PVSCHED_POL_TIMER_DUE
#define BLOCK PVSCHED_POL_BLOCK
#define END { .ev = -1 }

#define G_KEEP 0xffffffffu /* step does not change the guest area */
#define ANY_DL 0xfffffffffffffffeULL

struct step {
	int ev;
	uint64_t now_ms;
	uint32_t g_flags; /* G_KEEP or new flags */
	uint32_t g_policy;
	int32_t g_nice;
	uint32_t g_prio;
	/* expected */
	uint32_t state;
	struct pvsched_attr cur;
	int apply;
	uint32_t trace;
	uint64_t deadline_ms; /* ANY_DL: not checked; 0: none */
	uint32_t status; /* 0: not checked */
};

#define B PVSCHED_TR_BOOST
#define U PVSCHED_TR_UNBOOST
#define T PVSCHED_TR_THROTTLE
#define UT PVSCHED_TR_UNTHROTTLE
#define K PVSCHED_TR_KICK
#define KB PVSCHED_TR_KICK_BOOST
#define SI PVSCHED_STATE_IDLE
#define SB PVSCHED_STATE_BOOSTED
#define ST PVSCHED_STATE_THROTTLED
#define S_EXIT PVSCHED_VCPU_STATUS_VMEXITED
#define S_ENTER PVSCHED_VCPU_STATUS_VMENTERED
#define S_HALT PVSCHED_VCPU_STATUS_HALTED
#define S_INJ PVSCHED_VCPU_STATUS_INTR_INJECTED
#define CS PVSCHED_CS_HARDIRQ
#define GI PVSCHED_GUEST_IDLE
#define A_BASE { NORMAL, 0, 0 }
#define A_RR8 { RR, 0, 8 }

struct scenario {
	const char *name;
	struct step steps[16];
};

static const struct scenario scenarios[] = {
	{ "nothing asked",
	  { { EXIT_, 1, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { ENTER, 2, G_KEEP, 0, 0, 0, SI, A_BASE, 0, 0, 0, S_ENTER },
	    END } },
	{ "cs boost then guest unboost",
	  { { EXIT_, 1, CS, NORMAL, 0, 0, SB, A_RR8, 1, B, 21, S_EXIT },
	    { ENTER, 2, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 21, S_ENTER },
	    { EXIT_, 3, CS, NORMAL, 0, 0, SB, A_RR8, 0, 0, 21, S_EXIT },
	    { EXIT_, 4, 0, NORMAL, 0, 0, SI, A_BASE, 1, U, 0, S_EXIT },
	    END } },
	{ "task prio 1:1, cs weaker",
	  { { EXIT_, 1, 0, FIFO, 0, 20, SB, { FIFO, 0, 20 }, 1, B, 21, 0 },
	    { EXIT_, 2, CS, FIFO, 0, 20, SB, { FIFO, 0, 20 }, 0, 0, 21, 0 },
	    { EXIT_, 3, CS, NORMAL, 0, 0, SB, A_RR8, 1, B, 21, 0 },
	    { EXIT_, 4, 0, NORMAL, -5, 0, SB, { NORMAL, -5, 0 }, 1, B, 21,
	      0 },
	    { EXIT_, 5, 0, NORMAL, 5, 0, SI, A_BASE, 1, U, 0, 0 },
	    END } },
	{ "halt boost ends at next exit",
	  { { EXIT_, 1, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { HALT, 2, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B, 22, S_HALT },
	    { BLOCK, 2, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 0, S_HALT },
	    { WAKE, 50, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 70, S_HALT },
	    { INJ, 51, G_KEEP, 0, 0, 0, SB, A_RR8, 0, B, 70,
	      S_HALT | S_INJ },
	    { INJ, 51, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 70,
	      S_HALT | S_INJ },
	    { ENTER, 52, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 70,
	      S_ENTER | S_INJ },
	    { EXIT_, 53, 0, NORMAL, 0, 0, SI, A_BASE, 1, U, 0, S_EXIT },
	    END } },
	{ "intr boost, guest irq keeps it as cs",
	  { { INJ, 1, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B, 21, S_EXIT | S_INJ },
	    { ENTER, 2, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 21,
	      S_ENTER | S_INJ },
	    { EXIT_, 3, CS, NORMAL, 0, 0, SB, A_RR8, 0, B, 21, S_EXIT },
	    { INJ, 4, G_KEEP, 0, 0, 0, SB, A_RR8, 0, B, 21, 0 },
	    { EXIT_, 5, 0, NORMAL, 0, 0, SI, A_BASE, 1, U, 0, 0 },
	    END } },
	{ "throttle on timer, unthrottle re-boosts",
	  { { EXIT_, 0, CS, NORMAL, 0, 0, SB, A_RR8, 1, B, 20, 0 },
	    { TIMER, 19, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 20, 0 },
	    { TIMER, 20, G_KEEP, 0, 0, 0, ST, A_BASE, 1, T, 30, 0 },
	    { EXIT_, 25, CS, NORMAL, 0, 0, ST, A_BASE, 0, 0, 30, 0 },
	    { HALT, 26, G_KEEP, 0, 0, 0, ST, A_BASE, 0, 0, 30, S_HALT },
	    { INJ, 27, G_KEEP, 0, 0, 0, ST, A_BASE, 0, 0, 30, 0 },
	    { TIMER, 30, G_KEEP, 0, 0, 0, SB, A_RR8, 1, UT | B, 50, 0 },
	    { TIMER, 50, G_KEEP, 0, 0, 0, ST, A_BASE, 1, T, 60, 0 },
	    { TIMER, 60, 0, NORMAL, 0, 0, SI, A_BASE, 0, UT, 0, 0 },
	    END } },
	{ "throttle seen at an exit, unthrottle at an exit",
	  { { EXIT_, 0, CS, NORMAL, 0, 0, SB, A_RR8, 1, B, 20, 0 },
	    { EXIT_, 21, CS, NORMAL, 0, 0, ST, A_BASE, 1, T, 31, 0 },
	    { EXIT_, 40, CS, NORMAL, 0, 0, SB, A_RR8, 1, UT | B, 60, 0 },
	    END } },
	{ "unthrottle at enter uses the last snapshot",
	  { { EXIT_, 0, CS, NORMAL, 0, 0, SB, A_RR8, 1, B, 20, 0 },
	    { TIMER, 20, G_KEEP, 0, 0, 0, ST, A_BASE, 1, T, 30, 0 },
	    { ENTER, 31, 0, NORMAL, 0, 0, SI, A_BASE, 0, UT, 0, S_ENTER },
	    END } },
	{ "halt pauses the boost clock and pays it back",
	  { { EXIT_, 0, CS, NORMAL, 0, 0, SB, A_RR8, 1, B, 20, 0 },
	    { HALT, 5, G_KEEP, 0, 0, 0, SB, A_RR8, 0, B, 20, S_HALT },
	    { BLOCK, 6, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 0, S_HALT },
	    { HALT, 6, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 0, S_HALT },
	    { TIMER, 80, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 0, 0 },
	    { ENTER, 100, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 120, 0 },
	    { WAKE, 101, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 120, 0 },
	    { TIMER, 115, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 120, 0 },
	    { HALT, 117, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 120, S_HALT },
	    { BLOCK, 117, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 0, S_HALT },
	    { WAKE, 119, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 124, 0 },
	    { TIMER, 124, G_KEEP, 0, 0, 0, ST, A_BASE, 1, T, 134, 0 },
	    END } },
	/*
	 * KVM polls before it blocks: the thread runs, boosted, and the
	 * clock runs with it (it used to stop at the halt).
	 */
	{ "halt polling counts against the budget",
	  { { EXIT_, 0, CS, NORMAL, 0, 0, SB, A_RR8, 1, B, 20, 0 },
	    { HALT, 5, G_KEEP, 0, 0, 0, SB, A_RR8, 0, B, 20, S_HALT },
	    { WAKE, 6, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 20, S_HALT },
	    { HALT, 7, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 20, S_HALT },
	    { TIMER, 20, G_KEEP, 0, 0, 0, ST, A_BASE, 1, T, 30, 0 },
	    END } },
	{ "deadline and unknown policy refused",
	  { { EXIT_, 1, 0, DEADLINE, 0, 10, SI, A_BASE, 0, 0, 0, 0 },
	    { EXIT_, 2, 0, 9, 0, 10, SI, A_BASE, 0, 0, 0, 0 },
	    { EXIT_, 3, CS, DEADLINE, 0, 10, SB, A_RR8, 1, B, 23, 0 },
	    END } },
	{ "kick boosts a preempted vCPU until its next exit",
	  { { EXIT_, 1, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { KICK, 5, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B | K | KB, 25, S_EXIT },
	    { KICK, 6, G_KEEP, 0, 0, 0, SB, A_RR8, 0, K, 25, S_EXIT },
	    { INJ, 7, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 25, S_EXIT | S_INJ },
	    { EXIT_, 8, CS, NORMAL, 0, 0, SB, A_RR8, 0, B, 25, S_EXIT },
	    { EXIT_, 9, 0, NORMAL, 0, 0, SI, A_BASE, 1, U, 0, S_EXIT },
	    END } },
	{ "kick never lowers a stronger boost",
	  { { EXIT_, 1, 0, FIFO, 0, 20, SB, { FIFO, 0, 20 }, 1, B, 21, 0 },
	    { KICK, 2, G_KEEP, 0, 0, 0, SB, { FIFO, 0, 20 }, 0, K, 21, 0 },
	    END } },
	{ "kick while throttled does nothing",
	  { { EXIT_, 0, CS, NORMAL, 0, 0, SB, A_RR8, 1, B, 20, 0 },
	    { TIMER, 20, G_KEEP, 0, 0, 0, ST, A_BASE, 1, T, 30, 0 },
	    { KICK, 25, G_KEEP, 0, 0, 0, ST, A_BASE, 0, K, 30, 0 },
	    END } },
	{ "idle hold keeps a halt boost until the halt",
	  { { HALT, 1, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B, 21, S_HALT },
	    { BLOCK, 1, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 0, S_HALT },
	    { WAKE, 10, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 30, S_HALT },
	    { EXIT_, 11, CS | GI, NORMAL, 0, 0, SB, A_RR8, 0, B, 30, 0 },
	    { EXIT_, 12, GI, NORMAL, 0, 0, SB, A_RR8, 0, 0, 30, 0 },
	    { EXIT_, 13, GI, NORMAL, 0, 0, SB, A_RR8, 0, 0, 30, 0 },
	    { HALT, 14, G_KEEP, 0, 0, 0, SB, A_RR8, 0, B, 30, S_HALT },
	    { BLOCK, 14, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 0, S_HALT },
	    { WAKE, 20, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 40, 0 },
	    { EXIT_, 21, 0, NORMAL, 0, 0, SI, A_BASE, 1, U, 0, 0 },
	    END } },
	{ "idle hold after an RT task, raises still raise",
	  { { EXIT_, 1, 0, RR, 0, 8, SB, A_RR8, 1, B, 21, 0 },
	    { EXIT_, 2, GI, NORMAL, 0, 0, SB, A_RR8, 0, 0, 21, 0 },
	    { EXIT_, 3, GI, FIFO, 0, 30, SB, { FIFO, 0, 30 }, 1, B, 21, 0 },
	    { EXIT_, 4, GI, NORMAL, 5, 0, SB, { FIFO, 0, 30 }, 0, 0, 21, 0 },
	    { EXIT_, 5, 0, NORMAL, 5, 0, SI, A_BASE, 1, U, 0, 0 },
	    END } },
	{ "idle hint alone boosts nothing",
	  { { EXIT_, 1, GI, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, 0 },
	    { EXIT_, 2, GI, NORMAL, -5, 0, SB, { NORMAL, -5, 0 }, 1, B, 22,
	      0 },
	    END } },
	{ "a guest spinning in idle meets the throttle",
	  { { INJ, 0, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B, 20, 0 },
	    { EXIT_, 5, GI, NORMAL, 0, 0, SB, A_RR8, 0, 0, 20, 0 },
	    { EXIT_, 19, GI, NORMAL, 0, 0, SB, A_RR8, 0, 0, 20, 0 },
	    { EXIT_, 20, GI, NORMAL, 0, 0, ST, A_BASE, 1, T, 30, 0 },
	    { KICK, 25, G_KEEP, 0, 0, 0, ST, A_BASE, 0, K, 30, 0 },
	    { EXIT_, 30, GI, NORMAL, 0, 0, SI, A_BASE, 0, UT, 0, 0 },
	    END } },
	{ "kick while running boosts at the next exit and holds",
	  { { EXIT_, 1, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { KICKR, 2, G_KEEP, 0, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { EXIT_, 3, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B, 23, S_EXIT },
	    { EXIT_, 4, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 23, S_EXIT },
	    { INJ, 5, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 23, S_EXIT | S_INJ },
	    { EXIT_, 6, CS, NORMAL, 0, 0, SB, A_RR8, 0, B, 23, S_EXIT },
	    { EXIT_, 7, 0, NORMAL, 0, 0, SI, A_BASE, 1, U, 0, S_EXIT },
	    { EXIT_, 8, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    END } },
	/* a kick seen in guest mode that the exit beat: not for a later exit */
	{ "a pending kick ends at the next entry",
	  { { EXIT_, 1, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { KICKR, 2, G_KEEP, 0, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { ENTER, 3, G_KEEP, 0, 0, 0, SI, A_BASE, 0, 0, 0, S_ENTER },
	    { EXIT_, 50, G_KEEP, 0, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    END } },
	{ "a pending kick ends at the injection",
	  { { EXIT_, 1, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { KICKR, 2, G_KEEP, 0, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { INJ, 3, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B, 23, S_EXIT | S_INJ },
	    { EXIT_, 4, CS, NORMAL, 0, 0, SB, A_RR8, 0, B, 23, S_EXIT },
	    { EXIT_, 5, 0, NORMAL, 0, 0, SI, A_BASE, 1, U, 0, S_EXIT },
	    { EXIT_, 6, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    END } },
	{ "kick while running and throttled does nothing",
	  { { EXIT_, 0, CS, NORMAL, 0, 0, SB, A_RR8, 1, B, 20, 0 },
	    { TIMER, 20, G_KEEP, 0, 0, 0, ST, A_BASE, 1, T, 30, 0 },
	    { KICKR, 21, G_KEEP, 0, 0, 0, ST, A_BASE, 0, 0, 30, 0 },
	    { EXIT_, 22, 0, NORMAL, 0, 0, ST, A_BASE, 0, 0, 30, 0 },
	    { EXIT_, 30, 0, NORMAL, 0, 0, SI, A_BASE, 0, UT, 0, 0 },
	    END } },
	{ "irq hold keeps an intr boost until the guest takes it",
	  { { EXIT_, 1, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { INJ, 2, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B, 22, S_EXIT | S_INJ },
	    { EXIT_, 3, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 22, S_EXIT },
	    { EXIT_, 4, CS, NORMAL, 0, 0, SB, A_RR8, 0, B, 22, S_EXIT },
	    { EXIT_, 5, 0, NORMAL, 0, 0, SI, A_BASE, 1, U, 0, S_EXIT },
	    END } },
	{ "posted interrupt boosts a preempted vCPU like a kick",
	  { { EXIT_, 1, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { POSTED, 2, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B | K | KB, 22, 0 },
	    { POSTED, 3, G_KEEP, 0, 0, 0, SB, A_RR8, 0, K, 22, 0 },
	    { EXIT_, 4, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 22, S_EXIT },
	    { EXIT_, 5, 0, NORMAL, 0, 0, SI, A_BASE, 1, U, 0, S_EXIT },
	    END } },
	{ "guest timer due while preempted boosts and holds",
	  { { EXIT_, 1, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { DLINE, 2, G_KEEP, 0, 0, 0, SI, A_BASE, 0, 0, 0, S_EXIT },
	    { TDUE, 3, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B, 23, S_EXIT },
	    { EXIT_, 4, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 23, S_EXIT },
	    { EXIT_, 5, CS, NORMAL, 0, 0, SB, A_RR8, 0, B, 23, S_EXIT },
	    { EXIT_, 6, 0, NORMAL, 0, 0, SI, A_BASE, 1, U, 0, S_EXIT },
	    END } },
	{ "guest timer due while throttled does nothing",
	  { { EXIT_, 0, CS, NORMAL, 0, 0, SB, A_RR8, 1, B, 20, 0 },
	    { TIMER, 20, G_KEEP, 0, 0, 0, ST, A_BASE, 1, T, 30, 0 },
	    { TDUE, 21, G_KEEP, 0, 0, 0, ST, A_BASE, 0, 0, 30, 0 },
	    END } },
	{ "irq hold ends when the guest publishes after the injection",
	  { { EXIT_, 1, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, 0 },
	    { KICK, 2, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B | K | KB, 22, 0 },
	    { EXIT_, 3, 0, NORMAL, 0, 0, SB, A_RR8, 0, 0, 22, 0 },
	    { INJ, 3, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 22, 0 },
	    { EXIT_, 4, 0, NORMAL, 0, 0, SI, A_BASE, 1, U, 0, 0 },
	    END } },
	{ "irq hold ends after 4 ms",
	  { { EXIT_, 1, 0, NORMAL, 0, 0, SI, A_BASE, 0, 0, 0, 0 },
	    { INJ, 10, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B, 30, 0 },
	    { EXIT_, 13, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 30, 0 },
	    { EXIT_, 14, G_KEEP, 0, 0, 0, SI, A_BASE, 1, U, 0, 0 },
	    END } },
	/* seq zero: the guest shows nothing, the hold runs its 4 ms ... */
	{ "irq hold without a guest driver lasts 4 ms",
	  { { INJ, 1, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B, 21, 0 },
	    { EXIT_, 2, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 21, 0 },
	    { INJ, 3, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 21, 0 },
	    { EXIT_, 4, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 21, 0 },
	    { EXIT_, 5, G_KEEP, 0, 0, 0, SI, A_BASE, 1, U, 0, 0 },
	    END } },
	/* ... or until it halts: what the interrupt woke has run */
	{ "irq hold without a guest driver ends at its halt",
	  { { INJ, 1, G_KEEP, 0, 0, 0, SB, A_RR8, 1, B, 21, 0 },
	    { EXIT_, 2, G_KEEP, 0, 0, 0, SB, A_RR8, 0, 0, 21, 0 },
	    { HALT, 3, G_KEEP, 0, 0, 0, SB, A_RR8, 0, B, 21, S_HALT },
	    { EXIT_, 3, G_KEEP, 0, 0, 0, SI, A_BASE, 1, U, 0, S_EXIT },
	    END } },
	{ "rt request capped",
	  { { EXIT_, 1, 0, FIFO, 0, 99, SB, { FIFO, 0, 50 }, 1, B, 21, 0 },
	    { EXIT_, 2, 0, FIFO, 0, 0x80000000u, SB, { FIFO, 0, 50 }, 0, 0,
	      21, 0 },
	    { EXIT_, 3, 0, NORMAL, -20, 0, SB, { NORMAL, -10, 0 }, 1, B, 21,
	      0 },
	    END } },
};

static void run_scenario(const struct scenario *sc,
			 const struct pvsched_policy_limits *l,
			 const struct pvsched_attr *base)
{
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;
	const struct step *s;
	int i;

	pvsched_policy_init(&p, base, 0);
	for (i = 0; sc->steps[i].ev >= 0; i++) {
		int bad = 0;

		s = &sc->steps[i];
		if (s->g_flags != G_KEEP)
			guest_set(&ga, s->g_flags, s->g_policy, s->g_nice,
				  s->g_prio);
		pvsched_policy_event(&p, l, (enum pvsched_policy_event)s->ev, &ga, s->now_ms * MS, &d);
		if (p.state != s->state)
			bad = fprintf(stderr, "  state %u want %u\n", p.state,
				      s->state);
		if (!attr_is(&p.cur, s->cur.policy, s->cur.nice,
			     s->cur.rt_prio))
			bad = 1;
		if (!attr_is(&d.new_attr, s->cur.policy, s->cur.nice,
			     s->cur.rt_prio))
			bad = 1;
		if (d.apply != s->apply)
			bad = fprintf(stderr, "  apply %d want %d\n", d.apply,
				      s->apply);
		if (d.trace != s->trace)
			bad = fprintf(stderr, "  trace %#x want %#x\n", d.trace,
				      s->trace);
		if (s->deadline_ms != ANY_DL &&
		    d.deadline != s->deadline_ms * MS)
			bad = fprintf(stderr, "  deadline %llu want %llu\n",
				      (unsigned long long)d.deadline,
				      (unsigned long long)s->deadline_ms * MS);
		if (s->status && p.status != s->status)
			bad = fprintf(stderr, "  status %#x want %#x\n",
				      p.status, s->status);
		if (d.apply && d.to_base !=
		    pvsched_attr_eq(&d.new_attr, base))
			bad = fprintf(stderr, "  to_base wrong\n");
		if (bad) {
			fprintf(stderr, "  scenario '%s' step %d\n", sc->name,
				i);
			ut_group_failed = 1;
		}
	}
}

static void t_scenarios(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	unsigned int i;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		run_scenario(&scenarios[i], &l, &base);
}

/* --- counters, hostile clocks and other edges ------------------------------ */

static void t_counters(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	pvsched_policy_event(&p, &l, HALT, &ga, 2 * MS, &d);
	pvsched_policy_event(&p, &l, INJ, &ga, 3 * MS, &d);
	pvsched_policy_event(&p, &l, WAKE, &ga, 3 * MS, &d);
	pvsched_policy_event(&p, &l, ENTER, &ga, 4 * MS, &d);
	guest_set(&ga, 0, DEADLINE, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 5 * MS, &d);
	guest_set(&ga, 0, 1234, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 6 * MS, &d);
	guest_set(&ga, 0, FIFO, 0, 99);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 7 * MS, &d);

	UT_EQU(p.cnt.exits, 4);
	UT_EQU(p.cnt.entries, 1);
	UT_EQU(p.cnt.halts, 1);
	UT_EQU(p.cnt.injections, 1);
	UT_EQU(p.cnt.wakeups, 1);
	/* cs at 1 ms; halt and intr at equal strength take over the reason */
	UT_EQU(p.cnt.boosts[PVSCHED_REASON_CRIT_SECTION], 1);
	UT_EQU(p.cnt.boosts[PVSCHED_REASON_HALT], 1);
	UT_EQU(p.cnt.boosts[PVSCHED_REASON_INTR], 1);
	UT_EQU(p.cnt.boosts[PVSCHED_REASON_TASK_PRIO], 1);
	UT_EQU(p.cnt.unboosts, 1);
	UT_EQU(p.cnt.guest_refused, 1);
	UT_EQU(p.cnt.guest_invalid, 1);
	UT_EQU(p.cnt.guest_clamped, 1);
	/* boosted 1..5 ms, then 7 ms onwards */
	UT_EQU(p.cnt.boosted_ns, 4 * MS);
	UT_CHECK(pvsched_policy_stop(&p, 9 * MS));
	UT_EQU(p.cnt.boosted_ns, 6 * MS);

	/* a weaker HALT boost does not lower a task-prio boost */
	l.intr = (struct pvsched_attr){ FIFO, 0, 30 };
	pvsched_policy_event(&p, &l, HALT, &ga, 10 * MS, &d);
	UT_CHECK(!d.apply && !d.trace);
	UT_CHECK(attr_is(&p.cur, FIFO, 0, 50));
	/* after an unboost, it boosts */
	guest_set(&ga, 0, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 11 * MS, &d);
	pvsched_policy_event(&p, &l, HALT, &ga, 12 * MS, &d);
	UT_EQU(p.cnt.boosts[PVSCHED_REASON_HALT], 2);
	UT_CHECK(d.trace & PVSCHED_TR_BOOST);
	UT_EQ(d.reason, PVSCHED_REASON_HALT);
	UT_CHECK(attr_is(&p.cur, FIFO, 0, 30));
}

static void t_throttle_accounting(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 0, &d);
	pvsched_policy_event(&p, &l, TIMER, &ga, 20 * MS, &d);
	UT_EQ(p.state, ST);
	UT_EQ(d.reason, PVSCHED_REASON_CRIT_SECTION);
	UT_CHECK(d.to_base);
	UT_CHECK(d.publish);
	pvsched_policy_event(&p, &l, TIMER, &ga, 30 * MS, &d);
	UT_EQU(p.cnt.throttles, 1);
	UT_EQU(p.cnt.boosted_ns, 20 * MS);
	UT_EQU(p.cnt.throttled_ns, 10 * MS);
	UT_EQ(p.state, SB);

	/* lowering the VM's max_boost takes effect at the next event */
	l.max_boost_ns = 5 * MS;
	pvsched_policy_event(&p, &l, ENTER, &ga, 31 * MS, &d);
	UT_EQU(d.deadline, 35 * MS);
	pvsched_policy_event(&p, &l, ENTER, &ga, 36 * MS, &d);
	UT_EQ(p.state, ST);
	UT_EQU(d.deadline, 46 * MS);
}

/*
 * Toggling the request at every other exit does not dodge the throttle:
 * time at base only pays back as much boost time as it lasts.
 */
static int toggle_run(uint64_t on_ms, uint64_t off_ms, uint64_t total_ms)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;
	uint64_t t = 0;

	pvsched_policy_init(&p, &base, 0);
	while (t < total_ms * MS) {
		guest_set(&ga, CS, NORMAL, 0, 0);
		pvsched_policy_event(&p, &l, EXIT_, &ga, t, &d);
		t += on_ms * MS;
		guest_set(&ga, 0, NORMAL, 0, 0);
		pvsched_policy_event(&p, &l, EXIT_, &ga, t, &d);
		t += off_ms * MS;
	}
	return (int)p.cnt.throttles;
}

static void t_toggle_no_dodge(void)
{
	/* 3 ms on, 1 ms off: +2 ms of budget a cycle, 20 ms after 10 */
	UT_CHECK(toggle_run(3, 1, 100) >= 1);
	/* 1 ms on, 2 ms off: a well-behaved pattern is never throttled */
	UT_EQ(toggle_run(1, 2, 1000), 0);
	/* on as long as off: the budget never grows */
	UT_EQ(toggle_run(5, 5, 1000), 0);
}

static void t_hostile_clock(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;
	const uint64_t big = UINT64_MAX - 5 * MS;

	/* time going backwards: clamped, counted, no underflow */
	pvsched_policy_init(&p, &base, 100 * MS);
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 100 * MS, &d);
	pvsched_policy_event(&p, &l, ENTER, &ga, 50 * MS, &d);
	UT_EQU(p.cnt.clock_backwards, 1);
	UT_EQU(p.cnt.boosted_ns, 0);
	UT_EQU(d.deadline, 120 * MS);
	UT_CHECK(!pvsched_policy_stop(&p, 10 * MS) == 0);

	/* near the end of u64: deadlines and throttle windows saturate */
	pvsched_policy_init(&p, &base, big);
	pvsched_policy_event(&p, &l, EXIT_, &ga, big, &d);
	UT_EQU(d.deadline, UINT64_MAX);
	pvsched_policy_event(&p, &l, TIMER, &ga, UINT64_MAX, &d);
	UT_EQ(p.state, SB); /* only 5 ms boosted */
	UT_EQU(p.cnt.boosted_ns, 5 * MS);
	l.max_boost_ns = 1 * MS;
	pvsched_policy_event(&p, &l, TIMER, &ga, UINT64_MAX, &d);
	UT_EQ(p.state, ST);
	UT_EQU(d.deadline, UINT64_MAX);
	pvsched_policy_event(&p, &l, TIMER, &ga, UINT64_MAX, &d);
	UT_EQ(p.state, SB); /* throttle_until saturated at UINT64_MAX */

	/* accounting saturates */
	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 0, &d);
	p.cnt.boosted_ns = UINT64_MAX - 1;
	pvsched_policy_event(&p, &l, ENTER, &ga, 1 * MS, &d);
	UT_EQU(p.cnt.boosted_ns, UINT64_MAX);
	p.throttle_until = 0;
	p.state = ST;
	p.cnt.throttled_ns = UINT64_MAX;
	pvsched_policy_event(&p, &l, WAKE, &ga, 2 * MS, &d);
	UT_EQU(p.cnt.throttled_ns, UINT64_MAX);

	/* huge max_boost with no admin cap: no overflow of the deadline */
	l.max_boost_cap_ns = 0;
	l.max_boost_ns = UINT64_MAX;
	pvsched_policy_init(&p, &base, 10);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 10, &d);
	UT_EQU(d.deadline, UINT64_MAX);
}

static void t_torn_events(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	UT_EQ(p.state, SB);
	/* the guest keeps seq odd while asking for nothing: ignored */
	ga.seq++;
	ga.flags = 0;
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQU(p.cnt.torn_reads, 1);
	/* NULL guest area: previous snapshot */
	pvsched_policy_event(&p, &l, EXIT_, NULL, 3 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQU(p.cnt.torn_reads, 1);
	/* throttled with torn reads: unthrottle uses the old snapshot */
	pvsched_policy_event(&p, &l, TIMER, &ga, 21 * MS, &d);
	UT_EQ(p.state, ST);
	pvsched_policy_event(&p, &l, TIMER, &ga, 31 * MS, &d);
	UT_EQ(p.state, SB);
	UT_CHECK(d.trace == (PVSCHED_TR_UNTHROTTLE | PVSCHED_TR_BOOST));
	ga.seq++;
	pvsched_policy_event(&p, &l, EXIT_, &ga, 32 * MS, &d);
	UT_EQ(p.state, SI);
}

static void t_bases(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = { FIFO, 0, 60 };
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	/* base above any boost: never boosted, never lowered */
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS, FIFO, 0, 99);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1, &d);
	pvsched_policy_event(&p, &l, HALT, &ga, 2, &d);
	pvsched_policy_event(&p, &l, INJ, &ga, 3, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(!d.apply);
	UT_CHECK(attr_is(&p.cur, FIFO, 0, 60));

	/* SCHED_BATCH nice 5 base: restored exactly */
	base = (struct pvsched_attr){ BATCH, 5, 0 };
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1, &d);
	UT_EQ(p.state, SB);
	guest_set(&ga, 0, NORMAL, -3, 0); /* nice -3 beats base nice 5 */
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2, &d);
	UT_CHECK(attr_is(&p.cur, NORMAL, -3, 0));
	guest_set(&ga, 0, NORMAL, 10, 0); /* weaker than base: at base */
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3, &d);
	UT_CHECK(attr_is(&p.cur, BATCH, 5, 0));
	UT_CHECK(d.apply && d.to_base);
	UT_CHECK(!pvsched_policy_stop(&p, 4));

	/*
	 * An ordinary guest task (nice 0, the all-zero area) asks for
	 * nothing: a SCHED_IDLE, BATCH or positive-nice base stays there.
	 */
	base = (struct pvsched_attr){ IDLE, 0, 0 };
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(attr_is(&p.cur, IDLE, 0, 0));
	guest_set(&ga, 0, BATCH, 5, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2, &d);
	UT_EQ(p.state, SI);
	guest_set(&ga, 0, NORMAL, -1, 0); /* a negative nice is a request */
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3, &d);
	UT_EQ(p.state, SB);
	UT_CHECK(attr_is(&p.cur, NORMAL, -1, 0));
	guest_set(&ga, 0, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 4, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(attr_is(&p.cur, IDLE, 0, 0));
	l.min_nice = 0; /* the admin allows no negative nice: no request */
	guest_set(&ga, 0, NORMAL, -5, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 5, &d);
	UT_EQ(p.state, SI);
	l.min_nice = -10;

	/* admin lowers caps while boosted: takes effect at the next exit */
	base = (struct pvsched_attr){ NORMAL, 0, 0 };
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, FIFO, 0, 20);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1, &d);
	UT_CHECK(attr_is(&p.cur, FIFO, 0, 20));
	l.max_rt_prio = 5;
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2, &d);
	UT_CHECK(attr_is(&p.cur, FIFO, 0, 5));
	l.max_policy = NORMAL;
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3, &d);
	UT_CHECK(attr_is(&p.cur, NORMAL, -10, 0));
	UT_EQ(p.state, SB);
}

/* The mechanisms can be turned off per VM, and count what they do. */
static void t_mechanism_flags(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	/* defaults: a kick boosts, counted */
	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, KICK, &ga, 1 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQ(d.reason, PVSCHED_REASON_INTR);
	UT_CHECK(d.apply);
	/* its interrupt injected, so that the guest can show it took it */
	pvsched_policy_event(&p, &l, INJ, &ga, 1 * MS, &d);
	UT_EQU(p.cnt.kicks, 1);
	UT_EQU(p.cnt.kick_boosts, 1);
	UT_EQU(p.cnt.boosts[PVSCHED_REASON_INTR], 1);
	/* idle hold counted once per exit that kept the boost */
	guest_set(&ga, GI, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQU(p.cnt.idle_holds, 2);

	/* NO_IDLE_HOLD: the idle hint is ignored, the 0.1 policy */
	l.flags = PVSCHED_PARAMS_NO_IDLE_HOLD;
	pvsched_policy_event(&p, &l, EXIT_, &ga, 4 * MS, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(d.apply && d.to_base);
	UT_EQU(p.cnt.idle_holds, 2);

	/* NO_KICK_BOOST: kicks are counted, nothing is boosted */
	l.flags = PVSCHED_PARAMS_NO_KICK_BOOST;
	pvsched_policy_event(&p, &l, KICK, &ga, 5 * MS, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(!d.apply);
	UT_EQU(d.trace, PVSCHED_TR_KICK); /* traced as a kick, not a boost */
	UT_EQU(p.cnt.kicks, 2);
	UT_EQU(p.cnt.kick_boosts, 1);

	/*
	 * NO_KICK_BOOST, a kick in the event that ends a throttle: the
	 * guest's own request (its RT task) boosts again there, and the
	 * kick's trace must not say that it boosted (engine-kick on 6.12-rt
	 * saw one pvsched_kick boosted=1 under kick_boost=0 that way); with
	 * the kick boost on, a kick's own boost is traced as the kick's.
	 */
	{
		struct pvsched_guest_area ga2 = { 0 };
		struct pvsched_policy p2;
		struct pvsched_decision d2;

		pvsched_policy_init(&p2, &base, 0);
		guest_set(&ga2, 0, FIFO, 0, 30);
		pvsched_policy_event(&p2, &l, EXIT_, &ga2, 1 * MS, &d2);
		pvsched_policy_event(&p2, &l, TIMER, &ga2, 21 * MS, &d2);
		UT_EQ(p2.state, ST);
		pvsched_policy_event(&p2, &l, KICK, &ga2, 31 * MS, &d2);
		UT_EQ(p2.state, SB);
		UT_CHECK(d2.trace & PVSCHED_TR_BOOST);
		UT_CHECK(d2.trace & PVSCHED_TR_KICK);
		UT_CHECK(!(d2.trace & PVSCHED_TR_KICK_BOOST));
		UT_EQU(p2.cnt.kick_boosts, 0);
		l.flags = 0;
		pvsched_policy_init(&p2, &base, 0);
		pvsched_policy_event(&p2, &l, KICK, &ga2, 1 * MS, &d2);
		UT_CHECK(d2.trace & PVSCHED_TR_KICK_BOOST);
		l.flags = PVSCHED_PARAMS_NO_KICK_BOOST;
	}

	/* NO_KICK_BOOST also turns off the boost at the exit after a kick */
	l = def_limits();
	l.flags = PVSCHED_PARAMS_NO_KICK_BOOST;
	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, KICKR, &ga, 1 * MS, &d);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	UT_EQ(p.state, SI);
	UT_EQU(p.cnt.kick_boosts, 0);
	l.flags = 0;
	pvsched_policy_event(&p, &l, KICKR, &ga, 3 * MS, &d);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 4 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQU(p.cnt.kick_boosts, 1);

	/* NO_IRQ_HOLD: an intr boost ends at the next exit again */
	l = def_limits();
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, INJ, &ga, 1 * MS, &d);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQU(p.cnt.irq_holds, 1);
	l.flags = PVSCHED_PARAMS_NO_IRQ_HOLD;
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3 * MS, &d);
	UT_EQ(p.state, SI);
	UT_EQU(p.cnt.irq_holds, 1);
	/* a throttle drops the hold */
	l = def_limits();
	pvsched_policy_event(&p, &l, INJ, &ga, 4 * MS, &d);
	UT_CHECK(p.irq_hold);
	pvsched_policy_event(&p, &l, TIMER, &ga, 30 * MS, &d);
	UT_EQ(p.state, ST);
	UT_CHECK(!p.irq_hold);

	/* a kick boost is capped like any boost */
	l = def_limits();
	l.max_policy = NORMAL;
	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, KICK, &ga, 1 * MS, &d);
	UT_CHECK(attr_is(&p.cur, NORMAL, -10, 0));
}

/*
 * A kick while the guest's RT task holds a higher boost (the 6.1 contended
 * benchmark's stranded timer): the task ends with the kick's interrupt
 * still pending (its switch, interrupts off, moves seq); the hold keeps the
 * boost until KVM injects it and the guest shows it took it after that.
 */
static void t_hold_until_injected(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;
	int kick;

	for (kick = 0; kick < 2; kick++) { /* KICK, then KICK_RUNNING */
		pvsched_policy_init(&p, &base, 0);
		guest_set(&ga, 0, FIFO, 0, 30); /* the RT task runs */
		pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
		UT_CHECK(attr_is(&p.cur, FIFO, 0, 30));
		if (kick == 0) {
			pvsched_policy_event(&p, &l, KICK, &ga, 2 * MS, &d);
		} else {
			pvsched_policy_event(&p, &l, KICKR, &ga, 2 * MS, &d);
			pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
		}
		UT_CHECK(p.irq_hold && p.irq_undelivered);
		/* the RT task sleeps: the unboost exit, interrupt not taken */
		guest_set(&ga, 0, NORMAL, 0, 0);
		pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS + 100000, &d);
		UT_EQ(p.state, SB);
		UT_CHECK(!d.to_base);
		UT_EQU(p.cnt.irq_holds, 1);
		/* the interrupt window's exit: still not injected */
		pvsched_policy_event(&p, &l, ENTER, &ga, 2 * MS + 150000, &d);
		pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS + 200000, &d);
		UT_EQ(p.state, SB);
		UT_EQU(p.cnt.irq_holds, 2);
		/* injected: the seq of before is old, the 4 ms still count
		 * from the kick */
		pvsched_policy_event(&p, &l, INJ, &ga, 2 * MS + 250000, &d);
		UT_CHECK(p.irq_hold && !p.irq_undelivered);
		UT_EQU(p.irq_hold_seq, ga.seq);
		UT_EQU(p.irq_hold_until, 2 * MS + PVSCHED_IRQ_HOLD_MAX_NS);
		pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS + 300000, &d);
		UT_EQ(p.state, SB);
		UT_EQU(p.cnt.irq_holds, 3);
		/* the guest took it (a new seq after the injection): base */
		guest_set(&ga, 0, NORMAL, 0, 0);
		pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS + 400000, &d);
		UT_EQ(p.state, SI);
		UT_CHECK(d.to_base);
		UT_CHECK(!p.irq_hold && !p.irq_undelivered);
	}

	/* never injected: the hold still ends at PVSCHED_IRQ_HOLD_MAX_NS */
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, FIFO, 0, 30);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	pvsched_policy_event(&p, &l, KICK, &ga, 2 * MS, &d);
	guest_set(&ga, 0, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3 * MS, &d);
	UT_EQ(p.state, SB);
	pvsched_policy_event(&p, &l, EXIT_, &ga,
			     2 * MS + PVSCHED_IRQ_HOLD_MAX_NS, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(!p.irq_undelivered);

	/* a guest that never publishes: injections and kicks every 1 ms do
	 * not move the hold's end, its request (nice -5) wins 4 ms after the
	 * hold began */
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, NORMAL, -5, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	pvsched_policy_event(&p, &l, INJ, &ga, 2 * MS, &d);
	UT_EQU(p.irq_hold_until, 6 * MS);
	pvsched_policy_event(&p, &l, KICK, &ga, 3 * MS, &d);
	pvsched_policy_event(&p, &l, INJ, &ga, 3 * MS, &d);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 4 * MS, &d);
	pvsched_policy_event(&p, &l, KICKR, &ga, 5 * MS, &d);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 5 * MS, &d);
	pvsched_policy_event(&p, &l, INJ, &ga, 5 * MS, &d);
	UT_EQU(p.irq_hold_until, 6 * MS);
	UT_CHECK(attr_is(&p.cur, RR, 0, 8));
	pvsched_policy_event(&p, &l, EXIT_, &ga, 6 * MS, &d);
	UT_CHECK(attr_is(&p.cur, NORMAL, -5, 0));

	/* a throttle ends it too, and drops the undelivered mark */
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, FIFO, 0, 30);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	pvsched_policy_event(&p, &l, KICK, &ga, 2 * MS, &d);
	UT_CHECK(p.irq_undelivered);
	pvsched_policy_event(&p, &l, TIMER, &ga, 30 * MS, &d);
	UT_EQ(p.state, ST);
	UT_CHECK(!p.irq_hold && !p.irq_undelivered);

	/* a vCPU that had a posted delivery (APICv, AVIC): no INJECT may
	 * come, the seq ends the hold as before */
	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, POSTED, &ga, 1 * MS, &d);
	UT_CHECK(p.posted_delivery && !p.irq_undelivered);
	guest_set(&ga, 0, FIFO, 0, 30);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	pvsched_policy_event(&p, &l, KICK, &ga, 3 * MS, &d);
	UT_CHECK(p.irq_hold && !p.irq_undelivered);
	guest_set(&ga, 0, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3 * MS + 100000, &d);
	UT_EQ(p.state, SI);

	/*
	 * Two interrupts pending, the higher injected first: the guest's
	 * timer kicked from its hard IRQ (not accepted yet), then KVM
	 * accepts it and a self-IPI (outside hard IRQ, KICK_ACCEPT).  The
	 * IPI's injection leaves the timer's pending: the guest's unboost
	 * exit after the IPI's handler is held until the timer's injection.
	 */
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, FIFO, 0, 30);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	pvsched_policy_event(&p, &l, KICK, &ga, 2 * MS, &d);
	UT_CHECK(p.irq_undelivered && !p.irq_pending);
	pvsched_policy_event(&p, &l, KACC, &ga, 2 * MS + 10000, &d);
	UT_CHECK(!p.irq_undelivered);
	UT_EQU(p.irq_pending, 1);
	pvsched_policy_event(&p, &l, KACC, &ga, 2 * MS + 20000, &d);
	UT_EQU(p.irq_pending, 2);
	UT_EQU(p.cnt.kicks, 3);
	pvsched_policy_event(&p, &l, INJ, &ga, 2 * MS + 30000, &d);
	UT_EQU(p.irq_pending, 1);
	guest_set(&ga, 0, NORMAL, 0, 0); /* the IPI's handler, the exit */
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS + 40000, &d);
	UT_EQ(p.state, SB);
	UT_CHECK(!d.to_base);
	pvsched_policy_event(&p, &l, INJ, &ga, 2 * MS + 50000, &d);
	UT_EQU(p.irq_pending, 0);
	guest_set(&ga, 0, NORMAL, 0, 0); /* the timer's handler, the exit */
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS + 60000, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(d.to_base);
	/* the count is bounded, and the hold's end bounds it all */
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, FIFO, 0, 30);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	for (kick = 0; kick < 10; kick++)
		pvsched_policy_event(&p, &l, KACC, &ga, 2 * MS, &d);
	UT_EQU(p.irq_pending, PVSCHED_IRQ_PENDING_MAX);
	guest_set(&ga, 0, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3 * MS, &d);
	UT_EQ(p.state, SB);
	pvsched_policy_event(&p, &l, EXIT_, &ga,
			     2 * MS + PVSCHED_IRQ_HOLD_MAX_NS, &d);
	UT_EQ(p.state, SI);
	UT_EQU(p.irq_pending, 0);
	/* a posted delivery counts nothing */
	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, POSTED, &ga, 1 * MS, &d);
	guest_set(&ga, 0, FIFO, 0, 30);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	pvsched_policy_event(&p, &l, KACC, &ga, 3 * MS, &d);
	UT_EQU(p.irq_pending, 0);

	/* NO_IRQ_HOLD: no hold, nothing undelivered keeps the boost */
	l.flags = PVSCHED_PARAMS_NO_IRQ_HOLD;
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, FIFO, 0, 30);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	pvsched_policy_event(&p, &l, KICK, &ga, 2 * MS, &d);
	guest_set(&ga, 0, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS + 100000, &d);
	UT_EQ(p.state, SI);

	/*
	 * A guest without the driver (seq zero) whose timer fires every
	 * 1 ms and never halts: each hold runs its 4 ms, the next injection
	 * starts another, and the time at base between them repays less than
	 * the boost uses, so the budget (20 ms) throttles it for 10 ms, during
	 * which no injection boosts it.
	 */
	{
		struct pvsched_guest_area none = { 0 };
		u64 t, boosted = 0, throttled_at = 0;

		l = def_limits();
		pvsched_policy_init(&p, &base, 0);
		for (t = 1 * MS; t < 60 * MS; t += MS / 2) {
			pvsched_policy_event(&p, &l,
					     (t / (MS / 2)) & 1 ? EXIT_ : INJ,
					     &none, t, &d);
			if (p.state == SB)
				boosted++;
			if (p.state == ST && !throttled_at)
				throttled_at = t;
			if (throttled_at && t < throttled_at + 10 * MS)
				UT_EQ(p.state, ST);
		}
		UT_CHECK(throttled_at >= 20 * MS && throttled_at < 40 * MS);
		/* boosted at most events but the throttle's */
		UT_CHECK(boosted >= 80 && boosted <= 100);
	}
}

/* Posted interrupts, the guest's timer, and their flags (module 0.3). */
static void t_posted_and_timer(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, POSTED, &ga, 1 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQU(p.cnt.kicks, 1);
	UT_EQU(p.cnt.wakes, 1);
	UT_EQU(p.cnt.kick_boosts, 1);
	/* NO_KICK_BOOST turns the posted boost off too; counted anyway */
	l.flags = PVSCHED_PARAMS_NO_KICK_BOOST;
	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, POSTED, &ga, 1 * MS, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(!d.apply);
	UT_EQU(p.cnt.wakes, 1);
	UT_EQU(p.cnt.kick_boosts, 0);

	/* the guest timer: deadlines counted, a due timer boosts ... */
	l = def_limits();
	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, DLINE, &ga, 1 * MS, &d);
	pvsched_policy_event(&p, &l, DLINE, &ga, 2 * MS, &d);
	UT_EQU(p.cnt.deadlines, 2);
	UT_CHECK(!d.apply && !d.trace);
	pvsched_policy_event(&p, &l, TDUE, &ga, 3 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQ(d.reason, PVSCHED_REASON_INTR);
	UT_EQU(p.cnt.timer_boosts, 1);
	/* ... a second one while boosted raises nothing, counts nothing */
	pvsched_policy_event(&p, &l, TDUE, &ga, 4 * MS, &d);
	UT_CHECK(!d.apply);
	UT_EQU(p.cnt.timer_boosts, 1);
	/* ... a stronger task boost is not lowered */
	guest_set(&ga, 0, FIFO, 0, 20);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 5 * MS, &d);
	pvsched_policy_event(&p, &l, TDUE, &ga, 6 * MS, &d);
	UT_CHECK(attr_is(&p.cur, FIFO, 0, 20));
	/* NO_TIMER_BOOST: nothing, not even with the kick boost on */
	l.flags = PVSCHED_PARAMS_NO_TIMER_BOOST;
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, TDUE, &ga, 1 * MS, &d);
	UT_EQ(p.state, SI);
	UT_EQU(p.cnt.timer_boosts, 0);
}

/*
 * Every transition is charged: a guest that flips its request at every
 * exit meets the throttle within milliseconds however short its boosts,
 * where without the charge time at base paid every boost back; one that
 * takes an interrupt a millisecond is never throttled.
 */
static void t_transition_cost(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;
	uint64_t t = 0, cost;
	int i;

	for (cost = 0; cost <= PVSCHED_TRANSITION_COST_NS;
	     cost += PVSCHED_TRANSITION_COST_NS) {
		l.transition_ns = cost;
		pvsched_policy_init(&p, &base, 0);
		/* boosted 5 us, at base 5 us, for 50 ms: 5,000 flips */
		for (i = 0, t = 0; i < 5000; i++) {
			guest_set(&ga, CS, NORMAL, 0, 0);
			pvsched_policy_event(&p, &l, EXIT_, &ga, t, &d);
			t += 5000;
			guest_set(&ga, 0, NORMAL, 0, 0);
			pvsched_policy_event(&p, &l, EXIT_, &ga, t, &d);
			t += 5000;
		}
		if (cost)
			UT_CHECK(p.cnt.throttles >= 1);
		else
			UT_EQU(p.cnt.throttles, 0);
	}
	/* an interrupt a millisecond, 50 us of handler: never throttled */
	l.transition_ns = PVSCHED_TRANSITION_COST_NS;
	pvsched_policy_init(&p, &base, 0);
	for (i = 0, t = 0; i < 1000; i++) {
		pvsched_policy_event(&p, &l, INJ, &ga, t, &d);
		guest_set(&ga, CS, NORMAL, 0, 0);
		pvsched_policy_event(&p, &l, EXIT_, &ga, t + 20000, &d);
		guest_set(&ga, 0, NORMAL, 0, 0);
		pvsched_policy_event(&p, &l, EXIT_, &ga, t + 50000, &d);
		t += MS;
	}
	UT_EQU(p.cnt.throttles, 0);
	UT_EQU(p.cnt.boosts[PVSCHED_REASON_INTR], 1000);
}

/* The shortest window for a duty cycle, and the run-time lengthening. */
static void t_duty(void)
{
	struct pvsched_policy_limits l = def_limits();

	/* 20 ms at most 70 %: 20 * 30 / 70 = 8.57 ms (up); 50 %: as long */
	UT_EQU(pvsched_duty_min_throttle_ns(20 * MS, 70), 8571429);
	UT_EQU(pvsched_duty_min_throttle_ns(20 * MS, 50), 20 * MS);
	UT_EQU(pvsched_duty_min_throttle_ns(1000 * MS, 1), 99000 * MS);
	/* 0 and 100 (or more): no cap */
	UT_EQU(pvsched_duty_min_throttle_ns(1000 * MS, 0), 0);
	UT_EQU(pvsched_duty_min_throttle_ns(1000 * MS, 100), 0);
	UT_EQU(pvsched_duty_min_throttle_ns(1000 * MS, 250), 0);
	/* no overflow near the end of u64 */
	UT_EQU(pvsched_duty_min_throttle_ns(UINT64_MAX, 50), UINT64_MAX);
	UT_EQU(pvsched_duty_min_throttle_ns(UINT64_MAX - 1, 99),
	       (UINT64_MAX - 1) / 99 + 1);

	/* 20 ms / 10 ms is 67 %: within 70 %, not within 50 % */
	l.max_duty_pct = 70;
	UT_EQU(pvsched_policy_throttle_ns(&l), 10 * MS);
	l.max_duty_pct = 50; /* the admin lowers the cap: the window grows */
	UT_EQU(pvsched_policy_throttle_ns(&l), 20 * MS);
	/* ... and follows max_boost as the admin's cap bounds it */
	l.max_boost_ns = 500 * MS;
	UT_EQU(pvsched_policy_throttle_ns(&l), 100 * MS);
}

static void t_duty_throttle(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	/* a VM that chose 1 s boost, 1 ms throttle, admin cap 70 % */
	l.max_boost_cap_ns = 0;
	l.max_boost_ns = 1000 * MS;
	l.throttle_ns = 1 * MS;
	l.max_duty_pct = 70;
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 0, &d);
	pvsched_policy_event(&p, &l, TIMER, &ga, 1000 * MS, &d);
	UT_EQ(p.state, ST);
	/* 1000 * 30 / 70 = 428.57 ms, not 1 ms */
	UT_EQU(d.deadline, 1000 * MS + 428571429);
	pvsched_policy_event(&p, &l, TIMER, &ga, 1001 * MS, &d);
	UT_EQ(p.state, ST);
	pvsched_policy_event(&p, &l, TIMER, &ga, 1000 * MS + 428571429, &d);
	UT_EQ(p.state, SB);
	/* the whole (lengthened) window repaid the whole budget */
	UT_EQU(d.deadline, 2000 * MS + 428571429);
}

/* The host-wide share of one CPU, per window. */
static void t_share_charge(void)
{
	struct pvsched_share sh = { 0 };
	uint64_t left = 7, w = 100 * MS, q = 50 * MS;

	/* no bound: share 0, or at least the window */
	UT_EQU(pvsched_share_charge(&sh, w, 0, 1000 * MS, 10 * MS, &left), 0);
	UT_EQU(left, 0);
	UT_EQU(pvsched_share_charge(&sh, w, w, 1000 * MS, 10 * MS, &left), 0);
	UT_EQU(sh.used_ns, 0);
	/* the first charge starts a window at now */
	UT_EQU(pvsched_share_charge(&sh, w, q, 1000 * MS, 10 * MS, &left), 0);
	UT_EQU(sh.window_start, 1000 * MS);
	UT_EQU(left, 40 * MS);
	UT_EQU(pvsched_share_charge(&sh, w, q, 1050 * MS, 39 * MS, &left), 0);
	UT_EQU(left, 1 * MS);
	/* used up: refused until the window's end */
	UT_EQU(pvsched_share_charge(&sh, w, q, 1060 * MS, 2 * MS, &left),
	       1100 * MS);
	UT_EQU(left, 0);
	UT_EQU(pvsched_share_charge(&sh, w, q, 1099 * MS, 0, &left), 1100 * MS);
	/* a clock read before another CPU rolled: that same window */
	UT_EQU(pvsched_share_charge(&sh, w, q, 990 * MS, 0, &left), 1100 * MS);
	/* the next window follows on, charged with the 1 ms run over */
	UT_EQU(pvsched_share_charge(&sh, w, q, 1100 * MS, 5 * MS, &left), 0);
	UT_EQU(sh.window_start, 1100 * MS);
	UT_EQU(left, 44 * MS);
	/* the one after that, nothing charged in between: it follows on */
	UT_EQU(pvsched_share_charge(&sh, w, q, 1250 * MS, 1 * MS, &left), 0);
	UT_EQU(sh.window_start, 1200 * MS);
	UT_EQU(left, 49 * MS);
	/* a gap of more than a window: a new one starts now */
	UT_EQU(pvsched_share_charge(&sh, w, q, 1450 * MS, 60 * MS, &left),
	       1550 * MS);
	UT_EQU(sh.window_start, 1450 * MS);
	/* saturating */
	UT_EQU(pvsched_share_charge(&sh, w, q, 1451 * MS, UINT64_MAX, &left),
	       1550 * MS);
	UT_EQU(sh.used_ns, UINT64_MAX);
}

/*
 * What a window runs over its share is paid in the next one: the share is
 * seen used up only after the fact (run time read at the scheduler's
 * ticks, demotions applied a moment after the decision), so every window
 * overruns a little, and those overruns must not add up.
 */
static void t_share_carry(void)
{
	struct pvsched_share sh = { 0 };
	uint64_t left, w = 100 * MS, q = 50 * MS, t, total = 0, used;
	int i;

	UT_EQU(pvsched_share_charge(&sh, w, q, 1000 * MS, 58 * MS, &left),
	       1100 * MS);
	/* 8 ms over: the next window starts with them */
	UT_EQU(pvsched_share_charge(&sh, w, q, 1100 * MS, 0, &left), 0);
	UT_EQU(sh.used_ns, 8 * MS);
	UT_EQU(left, 42 * MS);
	/* more than a whole share over: the next window refuses everything */
	UT_EQU(pvsched_share_charge(&sh, w, q, 1150 * MS, 150 * MS, &left),
	       1200 * MS);
	UT_EQU(pvsched_share_charge(&sh, w, q, 1200 * MS, 0, &left), 1300 * MS);
	UT_EQU(sh.used_ns, q);
	UT_EQU(left, 0);
	/* the window after that is back to the whole share */
	UT_EQU(pvsched_share_charge(&sh, w, q, 1300 * MS, 0, &left), 0);
	UT_EQU(left, q);
	/* a window without a charge in between: nothing carried */
	UT_EQU(pvsched_share_charge(&sh, w, q, 1350 * MS, 70 * MS, &left),
	       1400 * MS);
	UT_EQU(pvsched_share_charge(&sh, w, q, 1550 * MS, 0, &left), 0);
	UT_EQU(sh.window_start, 1550 * MS);
	UT_EQU(left, q);

	/*
	 * 100 windows, each charged in 1 ms steps until the share is seen
	 * used up and then 4 ms more (the tick the run time lags, the
	 * demotion's delay): within the share over the run, plus one
	 * overrun.  Forgiven at each roll, 54 % of the CPU.
	 */
	sh = (struct pvsched_share){ 0 };
	t = 10000 * MS;
	for (i = 0; i < 100; i++) {
		uint64_t end = t + w;

		used = 0;
		while (t < end && !pvsched_share_charge(&sh, w, q, t, MS, &left)) {
			used += MS;
			t += MS;
		}
		if (t < end) {
			used += MS;
			UT_EQU(pvsched_share_charge(&sh, w, q, t, 4 * MS, &left),
			       end);
			used += 4 * MS;
		}
		total += used;
		t = end;
	}
	UT_CHECK(total <= 100 * q + 5 * MS);
	UT_CHECK(total >= 100 * q - 5 * MS);
}

/*
 * A boost refused or ended by the CPU's share: the vCPU waits at base until
 * the window rolls, and that wait pays back at the VM's rate.
 */
static void t_share_throttle(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS, NORMAL, 0, 0);
	l.share_left_ns = 30 * MS;
	pvsched_policy_event(&p, &l, EXIT_, &ga, 0, &d);
	UT_EQ(p.state, SB);
	UT_EQU(d.deadline, 20 * MS); /* budget first */
	l.share_left_ns = 3 * MS;
	pvsched_policy_event(&p, &l, ENTER, &ga, 10 * MS, &d);
	UT_EQU(d.deadline, 13 * MS); /* the share may run out first */
	l.share_left_ns = 1000;
	pvsched_policy_event(&p, &l, TIMER, &ga, 13 * MS, &d);
	UT_EQU(d.deadline, 14 * MS); /* at most once a tick's worth */

	/* used up by this vCPU or others: ended until the window's end */
	l.share_left_ns = 0;
	l.share_until = 16 * MS;
	pvsched_policy_event(&p, &l, TIMER, &ga, 14 * MS, &d);
	UT_EQ(p.state, ST);
	UT_CHECK(d.apply && d.to_base && d.publish);
	UT_EQU(d.trace, PVSCHED_TR_SHARE);
	UT_EQ(d.reason, PVSCHED_REASON_CRIT_SECTION);
	UT_EQU(d.deadline, 16 * MS);
	UT_EQU(p.cnt.share_throttles, 1);
	UT_EQU(p.cnt.throttles, 0);
	/* requests are ignored meanwhile */
	pvsched_policy_event(&p, &l, KICK, &ga, 15 * MS, &d);
	UT_EQ(p.state, ST);
	/*
	 * The window rolled: 2 ms of throttle repaid 4 ms (20 ms budget per
	 * 10 ms window) of the 14 used: the budget lasts 10 ms more.
	 */
	l.share_until = 0;
	pvsched_policy_event(&p, &l, TIMER, &ga, 16 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQU(d.trace, PVSCHED_TR_UNTHROTTLE | PVSCHED_TR_BOOST);
	UT_EQU(d.deadline, 26 * MS);
	pvsched_policy_event(&p, &l, TIMER, &ga, 26 * MS, &d);
	UT_EQ(p.state, ST);
	UT_EQU(p.cnt.throttles, 1);

	/* a boost that would start is refused, whatever asks for it */
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, NORMAL, 0, 0);
	l.share_until = 50 * MS;
	pvsched_policy_event(&p, &l, KICK, &ga, 40 * MS, &d);
	UT_EQ(p.state, ST);
	UT_CHECK(!d.apply);
	UT_EQU(d.trace, PVSCHED_TR_KICK | PVSCHED_TR_SHARE);
	UT_EQ(d.reason, PVSCHED_REASON_INTR);
	UT_EQU(d.deadline, 50 * MS);
	UT_EQU(p.cnt.kick_boosts, 0);
	UT_EQU(p.cnt.boosts[PVSCHED_REASON_INTR], 0);
	UT_EQU(p.cnt.share_throttles, 1);
	/* still used up at the end of the wait (the admin shortened it) */
	l.share_until = 60 * MS;
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 50 * MS, &d);
	UT_EQ(p.state, ST);
	UT_EQU(d.trace, PVSCHED_TR_UNTHROTTLE | PVSCHED_TR_SHARE);
	UT_EQU(d.deadline, 60 * MS);
	UT_EQU(p.cnt.share_throttles, 2);
	l.share_until = 0;
	pvsched_policy_event(&p, &l, EXIT_, &ga, 60 * MS, &d);
	UT_EQ(p.state, SB);
}

/* Where the clock pauses: at BLOCK, or at HALT without that event. */
static void t_block(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 0, &d);
	pvsched_policy_event(&p, &l, HALT, &ga, 5 * MS, &d);
	UT_CHECK(!p.halted);
	pvsched_policy_event(&p, &l, BLOCK, &ga, 6 * MS, &d);
	UT_CHECK(p.halted);
	UT_CHECK(!d.apply && !d.trace);
	UT_EQU(d.deadline, 0);
	UT_EQU(p.cnt.halts, 1);
	UT_EQU(p.cnt.blocks, 1);
	/* a vCPU blocking without a halt (waiting for a SIPI) pauses too */
	pvsched_policy_event(&p, &l, ENTER, &ga, 7 * MS, &d);
	pvsched_policy_event(&p, &l, BLOCK, &ga, 8 * MS, &d);
	UT_CHECK(p.halted);
	UT_EQU(p.cnt.blocks, 2);

	/* no BLOCK event attached: the halt pauses the clock */
	l.block_at_halt = true;
	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 0, &d);
	pvsched_policy_event(&p, &l, HALT, &ga, 5 * MS, &d);
	UT_CHECK(p.halted);
	UT_EQU(d.deadline, 0);
}

/* kick_boosts and timer_boosts count the boosts those events started. */
static void t_exact_counts(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	/* a timer due at the throttle's end: the unthrottle boosted (CS) */
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 0, &d);
	pvsched_policy_event(&p, &l, TIMER, &ga, 20 * MS, &d);
	UT_EQ(p.state, ST);
	pvsched_policy_event(&p, &l, TDUE, &ga, 30 * MS, &d);
	UT_EQ(p.state, SB);
	UT_CHECK(d.trace & PVSCHED_TR_BOOST);
	UT_EQU(p.cnt.timer_boosts, 0);
	/* ... a kick raising a boost does count */
	l.intr = (struct pvsched_attr){ FIFO, 0, 9 };
	pvsched_policy_event(&p, &l, KICK, &ga, 31 * MS, &d);
	UT_CHECK(attr_is(&p.cur, FIFO, 0, 9));
	UT_EQU(p.cnt.kick_boosts, 1);
	pvsched_policy_event(&p, &l, KICK, &ga, 32 * MS, &d);
	UT_EQU(p.cnt.kick_boosts, 1);
	UT_EQU(p.cnt.kicks, 2);

	/* a pending kick does not outlive a throttle */
	l = def_limits();
	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 0, &d);
	pvsched_policy_event(&p, &l, KICKR, &ga, 19 * MS, &d);
	UT_CHECK(p.kick_pending);
	pvsched_policy_event(&p, &l, TIMER, &ga, 20 * MS, &d);
	UT_EQ(p.state, ST);
	UT_CHECK(!p.kick_pending);
}

/*
 * Feature envelope: guest input of a feature the VMM withheld reads as
 * "nothing asked", whatever the guest writes, and is counted.
 */
static void t_withheld_features(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	/* offered: a CS flag boosts (control) */
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQU(p.cnt.guest_unoffered, 0);

	/* CRIT_SECTION withheld: the same flag boosts nothing, counted */
	l.withheld = PVSCHED_F_CRIT_SECTION;
	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(!d.apply);
	UT_EQU(p.cnt.guest_unoffered, 1);
	UT_EQU(p.cnt.boosts[PVSCHED_REASON_CRIT_SECTION], 0);
	/* ... but a task request (offered) still counts */
	guest_set(&ga, CS, FIFO, 0, 10);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	UT_CHECK(attr_is(&p.cur, FIFO, 0, 10));
	UT_EQ(d.reason, PVSCHED_REASON_TASK_PRIO);
	UT_EQU(p.cnt.guest_unoffered, 2);
	/* a CS flag no longer ends an interrupt hold early */
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, INJ, &ga, 1 * MS, &d);
	ga.flags = CS; /* without moving seq */
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQU(p.cnt.irq_holds, 1);

	/* TASK_PRIO withheld: policy/nice/rt_prio read as NORMAL 0 */
	l.withheld = PVSCHED_F_TASK_PRIO;
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, FIFO, 0, 40);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	UT_EQ(p.state, SI);
	UT_EQU(p.cnt.guest_unoffered, 1);
	guest_set(&ga, 0, NORMAL, -5, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	UT_EQ(p.state, SI);
	UT_EQU(p.cnt.guest_unoffered, 2);
	guest_set(&ga, 0, DEADLINE, 0, 0); /* not even refused: hidden */
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3 * MS, &d);
	UT_EQU(p.cnt.guest_refused, 0);
	UT_EQU(p.cnt.guest_unoffered, 3);
	guest_set(&ga, CS, NORMAL, 0, 0); /* CS still offered */
	pvsched_policy_event(&p, &l, EXIT_, &ga, 4 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQU(p.cnt.guest_unoffered, 3);

	/* IDLE_HINT withheld: the hint holds no boost */
	l.withheld = PVSCHED_F_IDLE_HINT;
	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, KICK, &ga, 1 * MS, &d);
	pvsched_policy_event(&p, &l, INJ, &ga, 1 * MS, &d);
	UT_EQ(p.state, SB);
	guest_set(&ga, GI, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	UT_EQ(p.state, SI);
	UT_EQU(p.cnt.idle_holds, 0);
	UT_EQU(p.cnt.guest_unoffered, 1);

	/* unknown withheld bits change nothing; torn reads count nothing */
	l.withheld = ~(uint64_t)(PVSCHED_F_CRIT_SECTION | PVSCHED_F_TASK_PRIO |
				 PVSCHED_F_IDLE_HINT);
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS | GI, FIFO, 0, 10);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	UT_CHECK(attr_is(&p.cur, FIFO, 0, 10));
	UT_EQU(p.cnt.guest_unoffered, 0);
	l.withheld = PVSCHED_F_ALL;
	ga.seq |= 1; /* kept odd: no fresh snapshot, nothing counted */
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	UT_EQ(p.state, SI);
	UT_EQU(p.cnt.guest_unoffered, 0);
	UT_EQU(p.cnt.torn_reads, 1);
}

/*
 * Where a demotion decided at an exit lands: at the next entry (the lazy
 * demotion) unless the session turned that off or the guest says, offered,
 * that it demotes safely at an exit (PVSCHED_GUEST_EXIT_DEMOTE).
 */
static void t_exit_demote(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	/* a 1.2 guest: lazy */
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, 0, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	UT_CHECK(!pvsched_policy_demote_at_exit(&p, &l));
	/* the session's lazy_demote=0 */
	l.flags |= PVSCHED_PARAMS_NO_LAZY_DEMOTE;
	UT_CHECK(pvsched_policy_demote_at_exit(&p, &l));
	l.flags &= ~PVSCHED_PARAMS_NO_LAZY_DEMOTE;
	/* the guest's word, from its last snapshot */
	guest_set(&ga, PVSCHED_GUEST_EXIT_DEMOTE, NORMAL, 0, 0);
	UT_CHECK(!pvsched_policy_demote_at_exit(&p, &l)); /* not read yet */
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	UT_CHECK(pvsched_policy_demote_at_exit(&p, &l));
	/* the flag is no request: nothing boosted, nothing counted */
	UT_EQ(p.state, SI);
	UT_CHECK(!d.apply);
	UT_EQU(p.cnt.guest_unoffered, 0);
	/* with a CS flag beside it, the CS boost as ever */
	guest_set(&ga, PVSCHED_GUEST_EXIT_DEMOTE | CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3 * MS, &d);
	UT_EQ(p.state, SB);
	UT_CHECK(pvsched_policy_demote_at_exit(&p, &l));
	/* not offered: not said, and counted as unoffered input */
	l.withheld = PVSCHED_F_EXIT_DEMOTE;
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, PVSCHED_GUEST_EXIT_DEMOTE, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	UT_CHECK(!pvsched_policy_demote_at_exit(&p, &l));
	UT_EQU(p.cnt.guest_unoffered, 1);
	/* the session's switch wins over a withheld offer */
	l.flags |= PVSCHED_PARAMS_NO_LAZY_DEMOTE;
	UT_CHECK(pvsched_policy_demote_at_exit(&p, &l));
}

/*
 * PVSCHED_CS_SWITCH: the guest is in its scheduler's switch, run-queue lock
 * held.  A boost in force is held as it is (not lowered to the CS boost,
 * not ended), none is started, and it ends at the first exit after.
 */
static void t_switch_hold(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;
	const u32 sw = PVSCHED_CS_SWITCH | PVSCHED_GUEST_EXIT_DEMOTE;

	/* not boosted: the flag starts nothing */
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, sw, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(!d.apply);
	UT_EQU(p.cnt.boosts[PVSCHED_REASON_CRIT_SECTION], 0);
	/* an RT task's boost, then the switch away from it: held as it is */
	guest_set(&ga, PVSCHED_GUEST_EXIT_DEMOTE, FIFO, 0, 10);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	UT_CHECK(attr_is(&p.cur, FIFO, 0, 10));
	guest_set(&ga, sw, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3 * MS, &d);
	UT_EQ(p.state, SB);
	UT_CHECK(attr_is(&p.cur, FIFO, 0, 10));
	UT_CHECK(!d.apply);
	UT_EQU(p.cnt.boosts[PVSCHED_REASON_CRIT_SECTION], 0);
	/* the lock released, the unboost exit: demoted there */
	guest_set(&ga, PVSCHED_GUEST_EXIT_DEMOTE, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 4 * MS, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(d.apply);
	/* another CS flag beside it still boosts */
	guest_set(&ga, sw | CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 5 * MS, &d);
	UT_EQ(p.state, SB);
	UT_EQU(p.cnt.boosts[PVSCHED_REASON_CRIT_SECTION], 1);
	/* a switch that never ends meets the throttle like any boost */
	guest_set(&ga, sw, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 6 * MS, &d);
	UT_EQ(p.state, SB);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 5 * MS + pvsched_policy_max_boost_ns(&l), &d);
	UT_EQ(p.state, PVSCHED_STATE_THROTTLED);
	/* CRIT_SECTION withheld: no hold either */
	l.withheld = PVSCHED_F_CRIT_SECTION;
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, PVSCHED_GUEST_EXIT_DEMOTE, FIFO, 0, 10);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	UT_EQ(p.state, SB);
	guest_set(&ga, sw, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	UT_EQ(p.state, SI);
}

/* Someone else changed the thread: seen, and adopted as its base. */
static void t_rebase(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE, rr8 = A_RR8, seen, nb;
	struct pvsched_guest_area ga = { 0 };
	struct pvsched_policy p;
	struct pvsched_decision d;

	pvsched_policy_init(&p, &base, 0);
	/* nothing changed: at base, and boosted with the nice set aside */
	seen = (struct pvsched_attr){ NORMAL, 0, 0 };
	UT_CHECK(!pvsched_policy_seen(&p, &base, 0, &seen, &nb));
	seen = (struct pvsched_attr){ RR, 3, 8 };
	UT_CHECK(!pvsched_policy_seen(&p, &rr8, 3, &seen, &nb));

	/* chrt -f 20 while boosted RR 8: base FIFO 20, the boost ends */
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	UT_EQ(p.state, SB);
	seen = (struct pvsched_attr){ FIFO, 0, 20 };
	UT_CHECK(pvsched_policy_seen(&p, &rr8, 0, &seen, &nb));
	UT_CHECK(attr_is(&nb, FIFO, 0, 20));
	pvsched_policy_rebase(&p, &l, &nb, 2 * MS, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(attr_is(&p.cur, FIFO, 0, 20) && attr_is(&p.base, FIFO, 0, 20));
	UT_CHECK(d.apply && d.to_base && d.publish && !d.trace);
	UT_EQU(d.deadline, 0);
	UT_EQU(p.cnt.base_changes, 1);
	UT_EQU(p.cnt.unboosts, 0);
	/* the guest's CS boost is below the new base: never boosted again */
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3 * MS, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(!d.apply);
	UT_CHECK(!pvsched_policy_stop(&p, 4 * MS));

	/* renice 5 while at base: new base nice 5, boosts still go above */
	pvsched_policy_init(&p, &base, 0);
	seen = (struct pvsched_attr){ NORMAL, 5, 0 };
	UT_CHECK(pvsched_policy_seen(&p, &base, 0, &seen, &nb));
	pvsched_policy_rebase(&p, &l, &nb, 1 * MS, &d);
	/* cur moved (the engine knows the thread has it already) */
	UT_CHECK(d.apply && d.to_base);
	UT_CHECK(attr_is(&p.cur, NORMAL, 5, 0));
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 2 * MS, &d);
	UT_CHECK(attr_is(&p.cur, RR, 0, 8));
	guest_set(&ga, 0, NORMAL, 0, 0); /* nice 0 beats base nice 5 */
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3 * MS, &d);
	guest_set(&ga, 0, NORMAL, 10, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 4 * MS, &d);
	UT_CHECK(attr_is(&p.cur, NORMAL, 5, 0) && d.to_base);

	/* renice 7 while boosted RR 8: only the nice set aside moved */
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 5 * MS, &d);
	UT_EQ(p.state, SB);
	seen = (struct pvsched_attr){ RR, 7, 8 };
	UT_CHECK(pvsched_policy_seen(&p, &rr8, 5, &seen, &nb));
	UT_CHECK(attr_is(&nb, NORMAL, 7, 0));
	pvsched_policy_rebase(&p, &l, &nb, 6 * MS, &d);
	UT_EQ(p.state, SB); /* the boost goes on */
	UT_CHECK(attr_is(&p.cur, RR, 0, 8) && !d.apply);
	UT_CHECK(d.deadline > 6 * MS);
	guest_set(&ga, 0, NORMAL, 19, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 7 * MS, &d);
	UT_CHECK(attr_is(&p.cur, NORMAL, 7, 0) && d.to_base);
	/* ... and an RT base keeps its own attributes */
	base = (struct pvsched_attr){ FIFO, 0, 5 };
	pvsched_policy_init(&p, &base, 0);
	seen = (struct pvsched_attr){ FIFO, -3, 5 };
	UT_CHECK(pvsched_policy_seen(&p, &base, 0, &seen, &nb));
	UT_CHECK(attr_is(&nb, FIFO, 0, 5));

	/* SCHED_DEADLINE: adopted, and never boosted above */
	base = (struct pvsched_attr)A_BASE;
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS, FIFO, 0, 40);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	UT_EQ(p.state, SB);
	seen = (struct pvsched_attr){ DEADLINE, 0, 0 };
	UT_CHECK(pvsched_policy_seen(&p, &p.cur, 0, &seen, &nb));
	pvsched_policy_rebase(&p, &l, &nb, 2 * MS, &d);
	UT_EQ(p.state, SI);
	UT_CHECK(attr_is(&p.cur, DEADLINE, 0, 0));
	pvsched_policy_event(&p, &l, EXIT_, &ga, 3 * MS, &d);
	pvsched_policy_event(&p, &l, KICK, &ga, 4 * MS, &d);
	pvsched_policy_event(&p, &l, HALT, &ga, 5 * MS, &d);
	UT_CHECK(!d.apply && attr_is(&p.cur, DEADLINE, 0, 0));

	/* throttled: stays throttled, at the new base */
	base = (struct pvsched_attr)A_BASE;
	pvsched_policy_init(&p, &base, 0);
	guest_set(&ga, CS, NORMAL, 0, 0);
	pvsched_policy_event(&p, &l, EXIT_, &ga, 1 * MS, &d);
	pvsched_policy_event(&p, &l, TIMER, &ga, 30 * MS, &d);
	UT_EQ(p.state, ST);
	seen = (struct pvsched_attr){ BATCH, 2, 0 };
	UT_CHECK(pvsched_policy_seen(&p, &base, 0, &seen, &nb));
	pvsched_policy_rebase(&p, &l, &nb, 31 * MS, &d);
	UT_EQ(p.state, ST);
	UT_CHECK(attr_is(&p.cur, BATCH, 2, 0));
	UT_EQU(d.deadline, p.throttle_until);
	pvsched_policy_event(&p, &l, TIMER, &ga, 45 * MS, &d);
	UT_EQ(p.state, SB); /* the last request decides again */
	/* a clock gone backwards is clamped here too */
	pvsched_policy_rebase(&p, &l, &nb, 40 * MS, &d);
	UT_EQU(p.cnt.clock_backwards, 1);
}

static void t_unknown_event(void)
{
	struct pvsched_policy_limits l = def_limits();
	struct pvsched_attr base = A_BASE;
	struct pvsched_policy p;
	struct pvsched_decision d;

	pvsched_policy_init(&p, &base, 0);
	pvsched_policy_event(&p, &l, PVSCHED_POL_NR, NULL, 1, &d);
	UT_CHECK(!d.apply);
	UT_EQ(p.state, SI);
	UT_EQU(d.deadline, 0);
}

int main(void)
{
	ut_run("cmp", t_cmp);
	ut_run("translate", t_translate);
	ut_run("boost-attr", t_boost_attr);
	ut_run("attr-valid", t_attr_valid);
	ut_run("limits", t_limits);
	ut_run("guest-read", t_guest_read);
	ut_run("guest-read-torn-once", t_torn_once);
	ut_run("host-publish", t_publish);
	ut_run("host-publish-stopped", t_publish_stopped);
	ut_run("scenarios", t_scenarios);
	ut_run("counters", t_counters);
	ut_run("throttle-accounting", t_throttle_accounting);
	ut_run("toggle-no-dodge", t_toggle_no_dodge);
	ut_run("hostile-clock", t_hostile_clock);
	ut_run("torn-events", t_torn_events);
	ut_run("bases-and-caps", t_bases);
	ut_run("mechanism-flags", t_mechanism_flags);
	ut_run("hold-until-injected", t_hold_until_injected);
	ut_run("posted-and-timer", t_posted_and_timer);
	ut_run("transition-cost", t_transition_cost);
	ut_run("duty", t_duty);
	ut_run("duty-throttle", t_duty_throttle);
	ut_run("share-charge", t_share_charge);
	ut_run("share-carry", t_share_carry);
	ut_run("share-throttle", t_share_throttle);
	ut_run("block", t_block);
	ut_run("exact-counts", t_exact_counts);
	ut_run("unknown-event", t_unknown_event);
	ut_run("withheld-features", t_withheld_features);
	ut_run("exit-demote", t_exit_demote);
	ut_run("switch-hold", t_switch_hold);
	ut_run("rebase", t_rebase);
	return ut_failed_groups ? 1 : 0;
}
