#include "pd_obs.h"

#include <string.h>

#include "pd_err.h"
#include "pd_wire.h"

int pd_obs_key_pack(const struct pd_obs *o, uint8_t *out, size_t cap)
{
	size_t need = PD_OBS_KEY_HDR + o->name_len + o->rdlen;
	if (o->name_len > 255 || o->rdlen > 65535 || need > cap)
		return PD_ESPACE;
	out[0] = o->flags;
	pd_put_be16(out + 1, o->type);
	out[3] = (uint8_t)o->name_len;
	pd_put_be16(out + 4, (uint16_t)o->rdlen);
	memcpy(out + PD_OBS_KEY_HDR, o->name, o->name_len);
	if (o->rdlen)
		memcpy(out + PD_OBS_KEY_HDR + o->name_len, o->rdata, o->rdlen);
	return (int)need;
}

int pd_obs_key_unpack(struct pd_obs *o, const uint8_t *key, size_t len)
{
	if (len < PD_OBS_KEY_HDR)
		return PD_EMALF;
	o->flags = key[0];
	o->type = pd_be16(key + 1);
	o->name_len = key[3];
	o->rdlen = pd_be16(key + 4);
	if (o->name_len == 0 || PD_OBS_KEY_HDR + o->name_len + o->rdlen != len)
		return PD_EMALF;
	o->name = key + PD_OBS_KEY_HDR;
	o->rdata = o->rdlen ? o->name + o->name_len : NULL;
	return 0;
}
