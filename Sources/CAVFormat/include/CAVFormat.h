#ifndef SWIFTSFU_CAVFORMAT_H
#define SWIFTSFU_CAVFORMAT_H
// A thin wrapper of libavformat's muxers for the recorder: open a file, add streams,
// write whole frames with millisecond timestamps, finish. No decoding, no logic.
#include <stddef.h>
#include <stdint.h>

typedef struct sfu_muxer sfu_muxer;

enum {
    SFU_CODEC_VP8 = 1,
    SFU_CODEC_VP9 = 2,
    SFU_CODEC_H264 = 3,
    SFU_CODEC_AV1 = 4,
    SFU_CODEC_OPUS = 5,
};

// `format` is a libavformat short name: "webm", "matroska", "ogg". Clusters (Matroska)
// close after `cluster_ms` and every packet is flushed to the kernel, so that a process
// killed mid-recording leaves a file that plays up to its last cluster. NULL on failure,
// with the reason in `error`.
sfu_muxer *sfu_muxer_open(const char *path, const char *format, int cluster_ms, char *error, size_t error_length);
// A stream; its index, or a negative libav error. Extradata (Opus's OpusHead, H.264's
// SPS/PPS in Annex B) is copied.
int sfu_muxer_add_video(sfu_muxer *muxer, int codec, int width, int height, const uint8_t *extradata,
                        int extradata_length);
int sfu_muxer_add_audio(sfu_muxer *muxer, int codec, int sample_rate, int channels, const uint8_t *extradata,
                        int extradata_length);
// Writes the header once the streams are added; 0 or a negative libav error.
int sfu_muxer_start(sfu_muxer *muxer);
// One frame of `stream`, at `pts_ms` for `duration_ms` (0: unknown); 0 or a negative
// libav error.
int sfu_muxer_write(sfu_muxer *muxer, int stream, const uint8_t *data, int length, int64_t pts_ms,
                    int64_t duration_ms, int is_key);
// The file's write error (a negative libav error, such as ENOSPC's), or 0: once set,
// every later write fails too.
int sfu_muxer_io_error(const sfu_muxer *muxer);
// Writes the trailer (Matroska's cues and sizes) when started, closes the file and frees
// the muxer; 0 or a negative libav error.
int sfu_muxer_finish(sfu_muxer *muxer);
// A libav error's text.
void sfu_muxer_error_text(int code, char *text, size_t length);

#endif
