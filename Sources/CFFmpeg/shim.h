#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswresample/swresample.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>

// The error codes are function-like macros, which Swift does not import.
static inline int demixer_averror_eof(void) { return AVERROR_EOF; }
static inline int demixer_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int demixer_averror_eio(void) { return AVERROR(EIO); }
