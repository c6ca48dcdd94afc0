// 年检页：全选复选框
document.addEventListener("DOMContentLoaded", () => {
  const all = document.querySelector("[data-check-all]");
  if (!all) return;
  all.addEventListener("change", () => {
    document.querySelectorAll('input[name="report"]').forEach((box) => { box.checked = all.checked; });
  });
});
