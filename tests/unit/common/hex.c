/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for hex.h: hexadecimal digits both ways. */
#include "fl-common.h"

#include "fltest.h"
#include "hex.h"

FLT_TEST(values_of_digits)
{
	FLT_EQ_INT(fl_hex_val('0'), 0);
	FLT_EQ_INT(fl_hex_val('9'), 9);
	FLT_EQ_INT(fl_hex_val('a'), 10);
	FLT_EQ_INT(fl_hex_val('F'), 15);
	FLT_EQ_INT(fl_hex_val('f'), 15);
	FLT_EQ_INT(fl_hex_val('g'), -1);
	FLT_EQ_INT(fl_hex_val('G'), -1);
	FLT_EQ_INT(fl_hex_val('/'), -1);
	FLT_EQ_INT(fl_hex_val(':'), -1);
	FLT_EQ_INT(fl_hex_val('@'), -1);
	FLT_EQ_INT(fl_hex_val('`'), -1);
	FLT_EQ_INT(fl_hex_val(0), -1);
	FLT_EQ_INT(fl_hex_val(0xc3), -1);
	FLT_EQ_INT(fl_hex_val(-1), -1);
}

FLT_TEST(every_byte_round_trips)
{
	for (unsigned c = 0; c < 256; c++) {
		char lo[2], up[2];
		fl_hex_byte(lo, (unsigned char)c, false);
		fl_hex_byte(up, (unsigned char)c, true);
		if (fl_hex_val(lo[0]) * 16 + fl_hex_val(lo[1]) != (int)c ||
		    fl_hex_val(up[0]) * 16 + fl_hex_val(up[1]) != (int)c)
			FLT_FAIL("byte 0x%02x does not round-trip", c);
		if ((lo[0] >= 'A' && lo[0] <= 'F') || (up[1] >= 'a' && up[1] <= 'f'))
			FLT_FAIL("byte 0x%02x: wrong case", c);
	}
	FLT_EQ_INT(fl_hex_lower(0xab), 'b');
	FLT_EQ_INT(fl_hex_upper(0x1c), 'C');
}

FLT_MAIN(values_of_digits, every_byte_round_trips)
