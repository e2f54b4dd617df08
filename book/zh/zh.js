// The words of mdBook's own template (the keyboard help and the theme menu)
// in Chinese. nslab's pages are Chinese already; these come from mdBook.
(() => {
  const words = {
    "Keyboard shortcuts": "快捷键",
    "Press": "按",
    "or": "或",
    "to navigate between chapters": "在章节之间切换",
    "to search in the book": "在书中搜索",
    "to show this help": "显示这个帮助",
    "to hide this help": "隐藏这个帮助",
    "Auto": "自动",
    "Light": "浅色",
    "Coal": "煤黑",
    "Navy": "深蓝",
  };
  // mdBook names its 404 page itself.
  document.title = document.title.replace(/^Page not found/, "找不到这一页");
  for (const id of ["mdbook-help-container", "mdbook-theme-list"]) {
    const root = document.getElementById(id);
    if (!root) continue;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const t = n.nodeValue.trim();
      if (Object.hasOwn(words, t)) n.nodeValue = n.nodeValue.replace(t, words[t]);
    }
  }
})();
