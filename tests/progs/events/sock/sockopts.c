// sock_ops socket options: on the client's ACTIVE_ESTABLISHED_CB, reads a
// set of options (defaults), then sets and reads back a table of
// (level, option, value) cases, recording every return code and value.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rec {
	__s32 level, opt, val, r_set;
	__s32 r_get, got, mss, dso;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 96);
	__type(key, __u32);
	__type(value, struct rec);
} results SEC(".maps");

static __always_inline void one(struct bpf_sock_ops *skops, __u32 i, int level, int opt,
				int val, int set)
{
	struct rec *r = bpf_map_lookup_elem(&results, &i);
	int got = 0;

	if (!r)
		return;
	r->level = level;
	r->opt = opt;
	r->val = val;
	r->mss = skops->mss_cache;
	r->dso = skops->data_segs_out;
	if (set)
		r->r_set = bpf_setsockopt(skops, level, opt, &val, sizeof(val));
	r->r_get = bpf_getsockopt(skops, level, opt, &got, sizeof(got));
	r->got = got;
}

#define GET(i, l, o) one(skops, i, l, o, 0, 0)
#define SET(i, l, o, v) one(skops, i, l, o, v, 1)

SEC("sockops")
int opts(struct bpf_sock_ops *skops)
{
	if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		return 1;
	GET(0, 1, 9);    /* SO_KEEPALIVE */
	GET(1, 1, 12);   /* SO_PRIORITY */
	GET(2, 1, 36);   /* SO_MARK */
	GET(3, 1, 18);   /* SO_RCVLOWAT */
	GET(4, 1, 74);   /* SO_TXREHASH */
	GET(5, 1, 47);   /* SO_MAX_PACING_RATE */
	GET(6, 6, 1);    /* TCP_NODELAY */
	GET(7, 6, 2);    /* TCP_MAXSEG */
	GET(8, 6, 4);    /* TCP_KEEPIDLE */
	GET(9, 6, 5);    /* TCP_KEEPINTVL */
	GET(10, 6, 6);   /* TCP_KEEPCNT */
	GET(11, 6, 7);   /* TCP_SYNCNT */
	GET(12, 6, 18);  /* TCP_USER_TIMEOUT */
	GET(13, 6, 25);  /* TCP_NOTSENT_LOWAT */
	GET(14, 6, 44);  /* TCP_RTO_MAX_MS */
	GET(15, 0, 1);   /* IP_TOS */
	GET(16, 6, 1001); /* TCP_BPF_IW: set-only */
	GET(17, 6, 1008); /* TCP_BPF_SOCK_OPS_CB_FLAGS */
	GET(18, 1, 99);  /* unknown */
	SET(20, 1, 7, 65536);     /* SO_SNDBUF */
	SET(21, 1, 7, -5);
	SET(22, 1, 8, 1000);      /* SO_RCVBUF */
	SET(23, 1, 9, 5);         /* SO_KEEPALIVE */
	SET(24, 1, 2, 1);         /* SO_REUSEADDR */
	SET(25, 1, 12, 3);        /* SO_PRIORITY */
	SET(26, 1, 36, 0x1234);   /* SO_MARK */
	SET(27, 1, 18, -1);       /* SO_RCVLOWAT */
	SET(28, 1, 74, 2);        /* SO_TXREHASH */
	SET(29, 1, 47, 1000);     /* SO_MAX_PACING_RATE */
	SET(30, 1, 62, 1);        /* SO_BINDTOIFINDEX lo */
	SET(31, 1, 62, 999);
	SET(32, 1, 99, 1);
	SET(33, 6, 1, 7);         /* TCP_NODELAY */
	SET(34, 6, 2, 50);        /* TCP_MAXSEG */
	SET(35, 6, 2, 1000);
	SET(36, 6, 4, 0);         /* TCP_KEEPIDLE */
	SET(37, 6, 4, 100);
	SET(38, 6, 5, 30);        /* TCP_KEEPINTVL */
	SET(39, 6, 6, 200);       /* TCP_KEEPCNT */
	SET(40, 6, 7, 3);         /* TCP_SYNCNT */
	SET(41, 6, 10, 0);        /* TCP_WINDOW_CLAMP */
	SET(42, 6, 10, 5000);
	SET(43, 6, 18, -1);       /* TCP_USER_TIMEOUT */
	SET(44, 6, 18, 3000);
	SET(45, 6, 25, 4096);     /* TCP_NOTSENT_LOWAT */
	SET(46, 6, 27, 3);        /* TCP_SAVE_SYN */
	SET(47, 6, 16, 1);        /* TCP_THIN_LINEAR_TIMEOUTS */
	SET(48, 6, 44, 500);      /* TCP_RTO_MAX_MS */
	SET(49, 6, 44, 5000);
	SET(50, 6, 1001, 20);     /* TCP_BPF_IW */
	SET(51, 6, 1002, 100);    /* TCP_BPF_SNDCWND_CLAMP */
	SET(52, 6, 1003, 50000);  /* TCP_BPF_DELACK_MAX */
	SET(53, 6, 1004, 150000); /* TCP_BPF_RTO_MIN */
	SET(54, 6, 1004, 300000);
	SET(55, 6, 1008, 0x80);   /* TCP_BPF_SOCK_OPS_CB_FLAGS */
	SET(56, 6, 1008, 4);
	SET(57, 0, 1, 0x2f);      /* IP_TOS */
	SET(58, 41, 67, 8);       /* IPV6_TCLASS on IPv4 */
	SET(59, 6, 999, 1);       /* unknown TCP option */
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
