"""The standard 公文 font names and the free faces that stand in for them.

The .docx always names the standard fonts (GB/T 9704 §2.2 practice). When a machine lacks
them, LibreOffice renders through the fontconfig aliases in ``gendoc/data/fonts.conf``;
this table is the single source of that mapping (the .conf file is generated from it).
"""

from __future__ import annotations

# standard name in the .docx -> (other names for the same face, free fallbacks in order,
#                                 fallback needs bold weight, metric-compatible fallback?)
STANDARD_FONTS: dict[str, dict] = {
    "仿宋_GB2312": {
        "aliases": ["仿宋", "FangSong", "FangSong_GB2312", "方正仿宋_GBK", "STFangsong"],
        "fallbacks": ["FandolFang"],
        "bold": False,
    },
    "楷体_GB2312": {
        "aliases": ["楷体", "KaiTi", "KaiTi_GB2312", "方正楷体_GBK", "STKaiti"],
        "fallbacks": ["FandolKai", "AR PL UKai CN"],
        "bold": False,
    },
    "黑体": {
        "aliases": ["SimHei", "方正黑体_GBK", "STHeiti"],
        "fallbacks": ["Noto Sans CJK SC", "FandolHei"],
        "bold": False,
    },
    "宋体": {
        "aliases": ["SimSun", "NSimSun"],
        "fallbacks": ["Noto Serif CJK SC", "FandolSong"],
        "bold": False,
    },
    "方正小标宋简体": {
        "aliases": ["方正小标宋_GBK", "小标宋", "FZXiaoBiaoSong-B05S"],
        "fallbacks": ["Noto Serif CJK SC"],
        "bold": True,
    },
    "Times New Roman": {
        "aliases": [],
        "fallbacks": ["Liberation Serif"],
        "bold": False,
    },
}
